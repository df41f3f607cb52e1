"""Removing a plan, a paper, a run and the demo: confirmation (or --yes), --json, and the user's
note files never touched (the output says where they stay)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def demo_home(home, cli):
    code, out, err = cli("demo", "--json")
    assert code == 0, err
    return home


def _notes(home):
    return {p.name: p.read_bytes() for p in (home / "notes").glob("*.md")}


def test_plan_remove_keeps_papers_and_notes(cli, demo_home, store):
    before_notes, papers = _notes(demo_home), store.scalar("SELECT count(*) FROM papers")
    code, _, err = cli("plan", "remove", "demo")  # no terminal to ask on, no --yes
    assert code == 2 and "needs confirmation" in err and store.scalar("SELECT count(*) FROM plans") == 1
    code, out, _ = cli("plan", "remove", "demo", "--yes", "--json")
    removed = json.loads(out)
    assert code == 0 and removed["name"] == "demo" and removed["items"] > 10
    assert store.scalar("SELECT count(*) FROM plans") == 0 and store.scalar("SELECT count(*) FROM plan_items") == 0
    assert store.scalar("SELECT count(*) FROM papers") == papers and _notes(demo_home) == before_notes
    code, _, err = cli("plan", "remove", "demo", "--yes")
    assert code == 3 and err.startswith("error: no plan")


def test_plan_remove_asks_on_a_terminal(cli, demo_home, store, monkeypatch):
    monkeypatch.setattr("kb.cli.output._can_ask", lambda: True)
    code, _, _ = cli("plan", "remove", "demo", input="n\n")
    assert code == 1 and store.scalar("SELECT count(*) FROM plans") == 1
    code, out, _ = cli("plan", "remove", "demo", input="y\n")
    assert code == 0 and "your notes stay" in out and store.scalar("SELECT count(*) FROM plans") == 0


def test_paper_remove_keeps_the_note_and_its_cards(cli, demo_home, store):
    before_notes = _notes(demo_home)
    cli("cards")  # sync the demo notes into cards
    lora = store.one("SELECT id, citekey FROM papers WHERE citekey LIKE 'hu202%lora'")
    cards = store.scalar("SELECT count(*) FROM cards WHERE paper_id = ?", (lora["id"],))
    code, out, _ = cli("paper", "remove", lora["citekey"], "--yes", "--json")
    removed = json.loads(out)
    assert code == 0 and removed["id"] == lora["id"] and removed["notes_kept"][0].endswith(f"{lora['citekey']}.md")
    assert store.one("SELECT 1 FROM papers WHERE id = ?", (lora["id"],)) is None
    assert store.scalar("SELECT count(*) FROM cards WHERE note_path = ?", (f"{lora['citekey']}.md",)) == cards > 0
    assert _notes(demo_home) == before_notes
    code, _, err = cli("paper", "remove", lora["citekey"], "--yes")
    assert code == 3 and err.startswith("error: no paper")


def test_run_remove(cli, store, home):
    from reproductions import records, registry

    run_id = records.create(store, registry.get("lora"), "tiny", {}, 0, "cpu")
    records.finish(store, run_id, status="cancelled")
    events, log = records.run_files(home, run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("x"), events.write_text("{}\n")
    code, out, _ = cli("repro", "runs", "--remove", str(run_id), "--yes", "--json")
    assert code == 0 and json.loads(out)["id"] == run_id and not log.exists() and not events.exists()
    assert store.scalar("SELECT count(*) FROM runs") == 0
    code, _, err = cli("repro", "runs", "--remove", str(run_id), "--yes")
    assert code == 3 and err.startswith(f"error: no run {run_id}")


def test_demo_remove_keeps_notes_and_papers_of_other_plans(cli, demo_home, store, tmp_path):
    before_notes = _notes(demo_home)
    plan = tmp_path / "mine.md"
    plan.write_text("# 我的计划\n\n## 第1周\n\n- \"Attention Is All You Need\"\n", encoding="utf-8")
    assert cli("plan", "import", str(plan))[0] == 0
    code, out, _ = cli("demo", "--remove", "--yes", "--json")
    removed = json.loads(out)
    assert code == 0 and removed["plan_removed"] and removed["papers_removed"] >= 10
    assert [r["name"] for r in store.all("SELECT name FROM plans")] == ["mine"]
    # The Transformer is in the user's own plan: it stays; the demo's PDFs are gone.
    assert [r["title"] for r in store.all("SELECT title FROM papers")] == ["Attention Is All You Need"]
    assert not (demo_home / "files" / "demo").exists() and _notes(demo_home) == before_notes
    assert removed["notes_kept"] and all(p.startswith(str(demo_home / "notes")) for p in removed["notes_kept"])
