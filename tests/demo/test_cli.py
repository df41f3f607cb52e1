"""`kb demo` on the command line: --json, --if-empty, a second run."""

from __future__ import annotations

import json


def test_kb_demo_builds_then_reports_complete(cli, home):
    code, out, err = cli("demo", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["skipped"] is False and data["plan"] == "demo"
    assert len(data["papers"]) == 12 and len(data["pdfs_written"]) == 12 and len(data["notes_written"]) == 3
    assert all(p.startswith(str(home / "files" / "demo")) for p in data["pdfs"])

    code, out, _ = cli("demo")
    assert code == 0 and "already complete" in out

    code, out, _ = cli("papers", "--json")
    assert len(json.loads(out)) == 12


def test_if_empty_builds_on_an_empty_library_and_skips_otherwise(cli):
    code, out, _ = cli("demo", "--if-empty")
    assert code == 0 and "Demo library ready" in out and "12 new of 12 papers" in out
    code, out, _ = cli("demo", "--if-empty", "--json")
    assert code == 0
    assert json.loads(out) == {"skipped": True, "reason": "library not empty", "papers": 12}


def test_if_empty_leaves_a_users_library_alone(cli, store):
    from kb import papers

    papers.upsert(store, title="Some Paper of My Own", year=2024)
    code, out, _ = cli("demo", "--if-empty")
    assert code == 0 and "already has 1 papers" in out
    assert store.scalar("SELECT COUNT(*) FROM papers") == 1


def test_if_empty_does_not_build_the_demo_when_zotero_is_configured(cli, store):
    assert cli("config", "zotero.source", "sqlite")[0] == 0
    code, out, _ = cli("demo", "--if-empty", "--json")
    assert code == 0 and json.loads(out) == {"skipped": True, "reason": "Zotero is configured", "papers": 0}
    assert store.scalar("SELECT COUNT(*) FROM papers") == 0


def test_demo_with_index_is_searchable_at_once(cli, store):
    code, out, err = cli("demo", "--if-empty", "--index", "--json")
    assert code == 0, err
    report = json.loads(out)["index"]
    assert report["indexed"] == 12 and report["failed"] == [] and report["chunks"] >= 24
    code, out, err = cli("search", "low-rank adaptation", "--mode", "lexical", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["citekey"] == "hu2021lora"


def test_demo_with_index_stops_its_progress_bar_before_its_summary(cli, monkeypatch):
    """`make run` showed the index's last spinner line with the summary printed beside it, and
    the bar drawn again below: `kb demo --index` never stopped its progress bar."""
    from kb.cli import index as index_cli

    events = []

    class Recorded(index_cli.ProgressBar):
        def close(self) -> None:
            events.append("closed")
            super().close()

    monkeypatch.setattr(index_cli, "progress_enabled", lambda: True)
    monkeypatch.setattr("kb.cli.output.progress_enabled", lambda: True)
    monkeypatch.setattr(index_cli, "ProgressBar", Recorded)
    real_echo = __import__("click").echo

    def echo(message=None, *args, **kwargs):
        if message and "Demo library ready" in str(message):
            events.append("summary")
        return real_echo(message, *args, **kwargs)

    monkeypatch.setattr("click.echo", echo)
    code, out, err = cli("demo", "--if-empty", "--index")
    assert code == 0, err
    assert events == ["closed", "summary"], events
