"""Removing a plan, a paper, a run or the demo library from the store.

What the user wrote is never touched: note files stay where they are (their cards keep their
review history, unlinked from a removed paper), and the result always says where they stay.
Removing a plan keeps its papers (they are in the library, maybe in another plan); removing a
paper keeps its note and its runs' records; removing the demo keeps demo papers another plan
of the user's lists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.store import Store


def remove_plan(store: Store, ref: str) -> dict:
    """Delete a plan and its items (not the papers). Returns {"id", "name", "items"}."""
    from kb.plans.query import resolve_plan

    plan = resolve_plan(store, ref)
    with store.tx():
        items = store.scalar("SELECT count(*) FROM plan_items WHERE plan_id = ?", (plan["id"],))
        store.execute("DELETE FROM plans WHERE id = ?", (plan["id"],))
    return {"id": plan["id"], "name": plan["name"], "items": items}


def remove_paper(store: Store, home: Path, config: dict, ref: str) -> dict:
    """Delete a paper from the library (its text, index rows, edges, plan links) and leave its
    note file and cards in place. Returns what was removed and where the note stays."""
    from kb import papers

    paper = papers.resolve(store, ref)
    notes = _notes_of(store, home, config, [paper.id])
    _drop_vectors(store, home, config, [paper.id])
    with store.tx():
        store.execute("UPDATE plan_items SET paper_id = NULL WHERE paper_id = ?", (paper.id,))
        store.execute("DELETE FROM papers WHERE id = ?", (paper.id,))
    return {"id": paper.id, "citekey": paper.citekey, "title": paper.title, "notes_kept": notes}


def _notes_of(store: Store, home: Path, config: dict, paper_ids: list[int]) -> list[str]:
    """The note files of these papers on disk: the ones sync has seen and `<citekey>.md`."""
    from notes.files import notes_dir

    folder = notes_dir(home, config)
    found = []
    for pid in paper_ids:
        rows = store.all("SELECT path FROM notes WHERE paper_id = ? AND missing = 0", (pid,))
        citekey = store.scalar("SELECT citekey FROM papers WHERE id = ?", (pid,))
        for path in [folder / r["path"] for r in rows] + ([folder / f"{citekey}.md"] if citekey else []):
            if path.is_file() and str(path) not in found:
                found.append(str(path))
    return found


def remove_run(store: Store, run_id: str) -> dict:
    """Delete a run's record and its log files under the runs folder (not a running one)."""
    from kb.errors import BadInput
    from reproductions.records import get_run

    run = get_run(store, run_id)
    if run["status"] == "running":
        raise BadInput(f"run {run['id']} is still running", f"cancel it first (`kb repro cancel {run['id']}`)")
    with store.tx():
        store.execute("DELETE FROM runs WHERE id = ?", (run["id"],))
    removed = []
    for key in ("log_path", "events_path"):
        path = run.get(key)
        if path and Path(path).is_file():
            Path(path).unlink()
            removed.append(path)
    return {"id": run["id"], "reproduction": run.get("reproduction"), "files_removed": removed}


def remove_demo(store: Store, home: Path, config: dict) -> dict:
    """Delete the demo plan, the demo papers no other plan lists, and the generated demo PDFs;
    the demo notes stay in the notes folder (they may hold the user's own writing by now)."""
    from kb.demo.builder import PLAN_NAME, pdf_dir

    plan = store.one("SELECT id FROM plans WHERE name = ?", (PLAN_NAME,))
    kept_by_plans = {r["paper_id"] for r in store.all(
        "SELECT paper_id FROM plan_items WHERE paper_id IS NOT NULL AND plan_id != ?", (plan["id"] if plan else -1,))}
    demo_papers = [r["id"] for r in store.all("SELECT id FROM papers WHERE source = 'demo'") if r["id"] not in kept_by_plans]
    notes = _notes_of(store, home, config, demo_papers)
    _drop_vectors(store, home, config, demo_papers)
    with store.tx():
        if plan:
            store.execute("DELETE FROM plans WHERE id = ?", (plan["id"],))
        store.executemany("UPDATE plan_items SET paper_id = NULL WHERE paper_id = ?", [(p,) for p in demo_papers])
        store.executemany("DELETE FROM papers WHERE id = ?", [(p,) for p in demo_papers])
    folder = pdf_dir(home)
    if folder.is_dir():
        shutil.rmtree(folder)
    return {"plan_removed": bool(plan), "papers_removed": len(demo_papers), "pdfs_removed": str(folder),
            "notes_kept": notes}


def _drop_vectors(store: Store, home: Path, config: dict, paper_ids: list[int]) -> None:
    """Take the papers' vectors out of Chroma, only when some were indexed (opening Chroma costs
    seconds); a failure leaves orphans that search ignores (their chunks rows are gone)."""
    if not paper_ids:
        return
    marks = ",".join("?" * len(paper_ids))
    attachments = [r["attachment_id"] for r in store.all(
        f"SELECT attachment_id FROM index_state WHERE chunk_count > 0 AND paper_id IN ({marks})", paper_ids)]
    if not attachments:
        return
    try:
        from kb.index.vectors import open_vectors

        open_vectors(home, config).delete_attachments(attachments)
    except Exception:  # noqa: BLE001 - see the docstring
        pass
