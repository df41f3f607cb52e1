"""Building the demo library into a data home: papers, PDFs, statuses, notes; idempotence."""

from __future__ import annotations

import json
import time

import yaml

from kb import papers
from kb.demo import build, corpus
from kb.demo.builder import DEMO_STATUS, pdf_dir
from kb.store import Store
from notes.cards import parse_cards
from notes.files import parse_front_matter

TABLES = ("papers", "attachments", "plans", "plan_items", "status_history")


def _counts(store: Store) -> dict[str, int]:
    return {t: store.scalar(f"SELECT COUNT(*) FROM {t}") for t in TABLES}


def test_papers_are_stored_with_metadata_and_their_pdf(built):
    home, store, result = built
    assert len(result.papers) == 12 and len(result.papers_created) == 12
    stored = {p.arxiv_id: p for p in papers.all_papers(store)}
    for demo in corpus.papers():
        paper = stored[demo.arxiv_id]
        assert paper.title == demo.title and paper.year == demo.year and paper.venue == demo.venue
        assert paper.authors == list(demo.authors) and paper.source == "demo"
        assert paper.abstract.startswith(demo.abstract[:60])
        assert papers.pdf_path(store, paper.id) == str(pdf_dir(home) / f"{demo.arxiv_id}.pdf")
    assert sorted(p.name for p in pdf_dir(home).iterdir()) == sorted(f"{a}.pdf" for a in stored)
    assert papers.resolve(store, "hu2021lora").arxiv_id == "2106.09685"


def test_some_papers_are_read_or_being_read(built):
    _, store, result = built
    statuses = {p.arxiv_id: p.status for p in papers.all_papers(store)}
    for arxiv_id, status in DEMO_STATUS.items():
        assert statuses[arxiv_id] == status
    assert sum(1 for s in statuses.values() if s == "unread") == 12 - len(DEMO_STATUS)
    assert len(result.statuses_set) == len(DEMO_STATUS)
    assert store.scalar("SELECT COUNT(*) FROM status_history") == len(DEMO_STATUS)


def test_notes_have_front_matter_sections_links_and_cards(built):
    home, store, result = built
    assert len(result.notes_written) == 3
    citekeys = {p.citekey for p in papers.all_papers(store)}
    for path in result.notes_written:
        text = path.read_text(encoding="utf-8")
        meta = yaml.safe_load(text.split("---")[1])
        paper = papers.get(store, meta["paper_id"])
        assert path.name == f"{paper.citekey}.md" and path.parent == home / "notes"
        assert meta["citekey"] == paper.citekey and meta["arxiv_id"] == paper.arxiv_id
        assert isinstance(meta["arxiv_id"], str)  # quoted: 2106.09685 must not become a float
        assert meta["status"] == paper.status and "demo" in meta["tags"]
        assert parse_front_matter(text).error is None
        for section in ("Problem", "Method", "Key results", "Limitations", "Questions", "Connections"):
            assert f"\n## {section}\n" in text
        links = [line for line in text.splitlines() if "[[" in line]
        linked = {key for line in links for key in _links(line)}
        assert linked and linked <= citekeys, linked - citekeys
        assert "[[@" not in text
        cards = parse_cards(text)
        assert sum(1 for c in cards if c.kind == "basic") >= 2
        assert sum(1 for c in cards if c.kind == "cloze") >= 2
    chinese = (home / "notes" / "hinton2015distilling.md").read_text(encoding="utf-8")
    assert "知识蒸馏" in chinese
    assert any("温度" in c.front for c in parse_cards(chinese))


def _links(line: str) -> list[str]:
    import re

    return re.findall(r"\[\[([^\]]+)\]\]", line)


def test_building_twice_changes_nothing(tmp_path):
    home = tmp_path / "kbhome"
    with Store.open(home) as store:
        first = build(store, home)
        before = _counts(store)
        stamps = {p: p.stat().st_mtime_ns for p in first.pdfs + first.notes_written}
        second = build(store, home)
        assert _counts(store) == before
        assert not second.changed
        assert second.papers_created == [] and second.pdfs_written == [] and second.notes_written == []
        assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
        assert [p.id for p in second.papers] == [p.id for p in first.papers]
        assert before["plans"] == 1 and before["papers"] == 12 and before["attachments"] == 12


def test_user_edits_survive_a_rebuild_and_force_only_renews_pdfs(tmp_path):
    home = tmp_path / "kbhome"
    with Store.open(home) as store:
        first = build(store, home)
        note = first.notes_written[0]
        note.write_text("my own words\n", encoding="utf-8")
        (home / "notes" / "vaswani2017attention.md").unlink()
        lora = papers.resolve(store, "2106.09685")
        papers.set_status(store, lora.id, "read")
        bert = papers.resolve(store, "1810.04805")
        papers.set_status(store, bert.id, "unread")
        old_pdf = first.pdfs[0].read_bytes()
        first.pdfs[0].write_bytes(b"damaged")

        forced = build(store, home, force=True)
        assert note.read_text(encoding="utf-8") == "my own words\n"
        assert forced.notes_written == [home / "notes" / "vaswani2017attention.md"]
        assert papers.get(store, lora.id).status == "read"
        assert papers.get(store, bert.id).status == "unread"
        assert forced.statuses_set == {}
        assert len(forced.pdfs_written) == 12
        assert first.pdfs[0].read_bytes() == old_pdf  # regenerated, byte-identical


def test_notes_go_to_the_configured_folder(tmp_path):
    home, notes = tmp_path / "kbhome", tmp_path / "vault" / "papers"
    with Store.open(home) as store:
        result = build(store, home, config={"notes": {"dir": str(notes)}})
    assert sorted(p.name for p in notes.iterdir()) == ["hinton2015distilling.md", "hu2021lora.md", "vaswani2017attention.md"]
    assert all(p.parent == notes for p in result.notes_written)


def test_build_is_fast(tmp_path):
    home = tmp_path / "kbhome"
    with Store.open(home) as store:
        started = time.perf_counter()
        result = build(store, home)
        elapsed = time.perf_counter() - started
    print(f"demo build: {elapsed:.2f} s ({result.seconds:.2f} s inside build)")
    # About a second on an idle core; the bound leaves room for a machine shared by many jobs.
    assert elapsed < 8.0
    assert json.loads(json.dumps(result.to_dict()))["seconds"] == round(result.seconds, 3)
