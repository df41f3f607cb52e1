"""Read models of the library for listings (CLI tables, TUI screens, JSON)."""

from __future__ import annotations

import json
from typing import Any

from kb.store import Store


def list_papers(store: Store, *, status: str | None = None, plan: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT p.* FROM papers p"
    where, params = [], []
    if plan:
        sql += " JOIN plan_items i ON i.paper_id = p.id JOIN plans pl ON pl.id = i.plan_id"
        where.append("pl.name = ?")
        params.append(plan)
    if status:
        where.append("p.status = ?")
        params.append(status)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY p.id ORDER BY p.id"
    return [_paper_dict(r) for r in store.all(sql, params)]


def _paper_dict(row) -> dict[str, Any]:
    out = dict(row)
    out["authors"] = json.loads(out.get("authors") or "[]")
    out.pop("title_norm", None)
    return out


def paper_detail(store: Store, paper_id: int) -> dict[str, Any]:
    row = store.one("SELECT * FROM papers WHERE id = ?", (paper_id,))
    detail = _paper_dict(row)
    detail["plan_items"] = [
        dict(r)
        for r in store.all(
            "SELECT pl.name AS plan, i.id, i.kind, i.phase, i.week_label, i.week_start, i.week_end, i.section, i.done "
            "FROM plan_items i JOIN plans pl ON pl.id = i.plan_id WHERE i.paper_id = ? ORDER BY pl.id, i.position",
            (paper_id,),
        )
    ]
    detail["attachments"] = [dict(r) for r in store.all("SELECT id, path, content_type, zotero_key, content_hash FROM attachments WHERE paper_id = ?", (paper_id,))]
    detail["status_history"] = [dict(r) for r in store.all("SELECT status, at FROM status_history WHERE paper_id = ? ORDER BY id", (paper_id,))]
    return detail


def overview(store: Store, home, config: dict) -> list[dict[str, Any]]:
    """Every paper with its first plan week, its cards due today and its recorded runs: the
    TUI's Library table (`kb papers --activity` prints the same)."""
    from kb.today import cards_due
    from notes import clock
    from reproductions import records

    papers = list_papers(store)
    weeks = {r["paper_id"]: r["week_label"] for r in store.all(
        "SELECT paper_id, week_label, min(position) FROM plan_items WHERE paper_id IS NOT NULL GROUP BY paper_id")}
    due: dict[int, int] = {}
    for card in cards_due(store, home, config, clock.utc_now())[0]:
        if card.get("paper_id"):
            due[card["paper_id"]] = due.get(card["paper_id"], 0) + 1
    runs: dict[int, int] = {}
    for run in records.list_runs(store):
        if run.get("paper_id"):
            runs[run["paper_id"]] = runs.get(run["paper_id"], 0) + 1
    for p in papers:
        p["week"] = weeks.get(p["id"]) or ""
        p["due"] = due.get(p["id"], 0)
        p["runs"] = runs.get(p["id"], 0)
    return papers
