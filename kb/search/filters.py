"""Search filters (plan, week, tag, status, year) turned into the set of papers allowed."""

from __future__ import annotations

from dataclasses import dataclass

from kb.errors import BadInput, NotFound
from kb.papers import STATUSES
from kb.store import Store


@dataclass(frozen=True)
class Filters:
    plan: str | None = None  # plan name or id
    week: int | None = None  # week number counted from the plan's start (any plan without `plan`)
    tag: str | None = None  # a Zotero tag
    status: str | None = None  # unread | reading | read | reviewed
    year: int | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.plan, self.week, self.tag, self.status, self.year))


def allowed_papers(store: Store, filters: Filters | None) -> list[int] | None:
    """Paper ids that pass every filter, or None when there are no filters."""
    if filters is None or filters.empty:
        return None
    where, params = [], []
    if filters.status is not None:
        if filters.status not in STATUSES:
            raise BadInput(f"unknown status {filters.status!r}", f"use one of: {', '.join(STATUSES)}")
        where.append("p.status = ?")
        params.append(filters.status)
    if filters.year is not None:
        where.append("p.year = ?")
        params.append(int(filters.year))
    if filters.plan is not None or filters.week is not None:
        clause, extra = _plan_clause(store, filters.plan, filters.week)
        where.append(clause)
        params.extend(extra)
    if filters.tag is not None:
        where.append(_tag_clause(store))
        params.append(filters.tag)
    sql = "SELECT p.id FROM papers p WHERE " + " AND ".join(where) + " ORDER BY p.id"
    return [r[0] for r in store.all(sql, params)]


def _plan_clause(store: Store, plan: str | None, week: int | None) -> tuple[str, list]:
    conditions, params = [], []
    if plan is not None:
        row = store.one("SELECT id FROM plans WHERE name = ? OR (CAST(id AS TEXT) = ?)", (plan, plan))
        if row is None:
            names = ", ".join(r[0] for r in store.all("SELECT name FROM plans ORDER BY name")) or "none imported yet"
            raise NotFound(f"no plan named {plan!r}", f"plans: {names}")
        conditions.append("pi.plan_id = ?")
        params.append(row[0])
    if week is not None:
        if int(week) < 1:
            raise BadInput(f"week {week} does not exist", "weeks are counted from 1")
        conditions.append("pi.week_start <= ? AND coalesce(pi.week_end, pi.week_start) >= ?")
        params.extend([int(week), int(week)])
    inner = " AND ".join(conditions)
    return f"p.id IN (SELECT pi.paper_id FROM plan_items pi WHERE pi.paper_id IS NOT NULL AND {inner})", params


def _tag_clause(store: Store) -> str:
    if not store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'zotero_tags'"):
        return "(0 AND ? IS NOT NULL)"  # no Zotero tags synced: nothing carries the tag
    return (
        "EXISTS (SELECT 1 FROM zotero_tags t WHERE t.library = p.zotero_library AND t.item_key = p.zotero_key "
        "AND t.tag = ? COLLATE NOCASE)"
    )
