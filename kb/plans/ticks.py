"""Ticking off plan items (books, courses, tutorials, tasks, papers) from paper-kb.

The tick is kept by the item's stable key in plan_item_ticks, so re-importing the plan file
(whose checkbox may still be empty) keeps it; the plan's queries read the tick before the
file's checkbox. Un-ticking (`undo`) is a tick too: it overrides a box ticked in the file.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from kb.errors import Ambiguous, NotFound
from kb.store import Store
from kb.values import row_id


def resolve_item(store: Store, ref: str, plan: str | None = None) -> sqlite3.Row:
    """An item by id (as `kb plan show --json` gives), or by a unique fragment of its title or
    text (case-insensitive), in one plan or all of them."""
    from kb.plans.query import resolve_plan

    text = (ref or "").strip().lstrip("#")
    where, params = "", []
    if plan is not None:
        where, params = " AND i.plan_id = ?", [resolve_plan(store, plan)["id"]]
    item_id = row_id(text)  # 10^30 or "²" is looked for as text, and not found
    if item_id is not None:
        row = store.one("SELECT i.* FROM plan_items i WHERE i.id = ?" + where, (item_id, *params))
        if row:
            return row
    rows = store.all(
        "SELECT i.* FROM plan_items i LEFT JOIN papers p ON p.id = i.paper_id WHERE (instr(lower(i.text), lower(?)) > 0 "
        "OR instr(lower(coalesce(i.title, '')), lower(?)) > 0 OR lower(coalesce(p.citekey, '')) = lower(?))" + where
        + " ORDER BY i.plan_id, i.position", (text, text, text, *params))
    if not text or not rows:
        raise NotFound(f"no plan item matches {ref!r}", "see `kb plan show` (or `kb plan show --json` for item ids)")
    exact = [r for r in rows if (r["title"] or r["text"]).strip().lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(rows) > 1:
        names = "; ".join(f"#{r['id']} {(r['title'] or r['text'])[:40]}" for r in rows[:5])
        raise Ambiguous(f"{ref!r} matches {len(rows)} plan items: {names}", "use more of the title, --plan, or the item id")
    return rows[0]


def set_done(store: Store, item: sqlite3.Row, done: bool = True) -> bool:
    """Tick (or untick) an item. Returns False when it already was so."""
    was = is_done(store, item)
    with store.tx():
        store.execute(
            "INSERT INTO plan_item_ticks (plan_id, item_key, done, ticked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (plan_id, item_key) DO UPDATE SET done = excluded.done, ticked_at = excluded.ticked_at",
            (item["plan_id"], item["item_key"], int(done), datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return was != done


def is_done(store: Store, item: sqlite3.Row) -> bool:
    tick = store.scalar("SELECT done FROM plan_item_ticks WHERE plan_id = ? AND item_key = ?", (item["plan_id"], item["item_key"]))
    return bool(item["done"] if tick is None else tick)


def progress(store: Store, plan_id: int) -> dict:
    """Items other than papers (books, courses, tutorials, tasks, other) done of all, per plan;
    papers count by their reading status, as the plan's "papers read" already does."""
    row = store.one(
        "SELECT count(*) AS items, sum(COALESCE(t.done, i.done)) AS done FROM plan_items i "
        "LEFT JOIN plan_item_ticks t ON t.plan_id = i.plan_id AND t.item_key = i.item_key "
        "WHERE i.plan_id = ? AND i.kind != 'paper'", (plan_id,))
    return {"items": row["items"] or 0, "done": row["done"] or 0}
