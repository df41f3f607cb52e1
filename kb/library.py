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
