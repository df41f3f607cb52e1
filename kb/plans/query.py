"""Read models of the reading plans, for the CLI (`kb plan list/show`), the TUI and the brief.

    list_plans(store)                 -> [{id, name, title, lang, counts, papers, papers_read, ...}]
    plan_tree(store, plan)            -> {plan..., phases: [{label, weeks: [{label, items: [...]}]}]}
    week_items(store, plan, week)     -> [item, ...] of that week
    current_week(store, plan, today)  -> the plan's week number today, or None
    resolve_plan(store, ref)          -> the plans row a user means (name, id, unique prefix; None = the only one)
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date
from typing import Any

from kb.errors import Ambiguous, NotFound
from kb.store import Store
from kb.values import row_id

KINDS = ("paper", "book", "course", "tutorial", "task", "other")
READ_STATUSES = ("read", "reviewed")


def resolve_plan(store: Store, ref: str | int | None) -> sqlite3.Row:
    """The plan a user means: None → the only plan; an id; a name (exact, then case-insensitive);
    a unique prefix of a name; a unique fragment of a title. Clear errors otherwise."""
    if isinstance(ref, sqlite3.Row):
        return ref
    if ref is None or str(ref).strip() == "":
        rows = store.all("SELECT * FROM plans ORDER BY id")
        if not rows:
            raise NotFound("no plans yet", "import one with `kb plan import FILE` (or try `kb demo`)")
        if len(rows) > 1:
            raise Ambiguous(
                f"there are {len(rows)} plans: {', '.join(r['name'] for r in rows[:8])}{' …' if len(rows) > 8 else ''}",
                "name the plan you mean (`kb plan list` shows them)",
            )
        return rows[0]
    text = str(ref).strip()
    plan_id = row_id(text)  # 10^30 or "²" is a name that matches no plan, not a crash
    # An id is written without leading zeros: "004" is the start of a plan named after its file
    # (004_66f75a8c207efac1.md), not plan 4.
    if plan_id is not None and str(plan_id) == text:
        row = store.one("SELECT * FROM plans WHERE id = ?", (plan_id,))
        if row:
            return row
    row = store.one("SELECT * FROM plans WHERE name = ?", (text,))
    if row:
        return row
    rows = store.all("SELECT * FROM plans WHERE lower(name) = lower(?)", (text,))
    if len(rows) == 1:
        return rows[0]
    rows = store.all("SELECT * FROM plans WHERE lower(name) LIKE lower(?) || '%' ESCAPE '\\' ORDER BY id", (_escape_like(text),))
    if not rows:
        rows = store.all("SELECT * FROM plans WHERE instr(lower(coalesce(title, '')), lower(?)) > 0 ORDER BY id", (text,))
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise Ambiguous(f"{text!r} matches {len(rows)} plans: {', '.join(r['name'] for r in rows[:8])}", "use the full name or the id")
    known = [r["name"] for r in store.all("SELECT name FROM plans ORDER BY id LIMIT 8")]
    raise NotFound(f"no plan {text!r}", f"plans: {', '.join(known)}" if known else "import one with `kb plan import FILE`")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _plan_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "title": row["title"], "lang": row["lang"],
        "source_path": row["source_path"], "part": row["part"], "parts": row["parts"], "encoding": row["encoding"],
        "start_date": row["start_date"], "start_date_source": row["start_date_source"],
        "imported_at": row["imported_at"], "updated_at": row["updated_at"],
    }


def list_plans(store: Store) -> list[dict[str, Any]]:
    out = []
    counts: dict[int, Counter] = {}
    for r in store.all("SELECT plan_id, kind, count(*) AS n FROM plan_items GROUP BY plan_id, kind"):
        counts.setdefault(r["plan_id"], Counter())[r["kind"]] = r["n"]
    papers = {
        r["plan_id"]: (r["total"], r["done"])
        for r in store.all(
            "SELECT i.plan_id, count(DISTINCT i.paper_id) AS total, "
            f"count(DISTINCT CASE WHEN p.status IN ({', '.join('?' * len(READ_STATUSES))}) THEN p.id END) AS done "
            "FROM plan_items i JOIN papers p ON p.id = i.paper_id GROUP BY i.plan_id",
            READ_STATUSES,
        )
    }
    weeks = {r["plan_id"]: r["w"] for r in store.all("SELECT plan_id, max(coalesce(week_end, week_start)) AS w FROM plan_items GROUP BY plan_id")}
    for row in store.all("SELECT * FROM plans ORDER BY id"):
        d = _plan_dict(row)
        c = counts.get(row["id"], Counter())
        d["counts"] = {k: c.get(k, 0) for k in KINDS}
        d["items"] = sum(c.values())
        d["papers"], d["papers_read"] = papers.get(row["id"], (0, 0))
        from kb.plans.ticks import progress

        d["items_done"] = progress(store, row["id"])
        d["weeks"] = weeks.get(row["id"])
        out.append(d)
    return out


def _items(store: Store, plan_id: int, where: str = "", params: tuple = ()) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT i.*, COALESCE(t.done, i.done) AS done_now, p.citekey AS p_citekey, p.title AS p_title, p.status AS p_status, "
        "p.year AS p_year, p.arxiv_id AS p_arxiv, p.doi AS p_doi, p.authors AS p_authors, p.venue AS p_venue, p.zotero_key AS p_zotero "
        # A tick made in paper-kb (kb/plans/ticks.py) wins over the file's checkbox.
        "FROM plan_items i LEFT JOIN plan_item_ticks t ON t.plan_id = i.plan_id AND t.item_key = i.item_key "
        f"LEFT JOIN papers p ON p.id = i.paper_id WHERE i.plan_id = ? {where} ORDER BY i.position",
        (plan_id, *params),
    )
    return [item_dict(r) for r in rows]


def item_dict(r: sqlite3.Row) -> dict[str, Any]:
    d = {
        "id": r["id"], "key": r["item_key"], "position": r["position"], "kind": r["kind"], "text": r["text"],
        "title": r["title"], "section": r["section"], "topic": r["topic"], "phase": r["phase"],
        "month_start": r["month_start"], "month_end": r["month_end"], "week_label": r["week_label"],
        "week_start": r["week_start"], "week_end": r["week_end"], "date_start": r["date_start"], "date_end": r["date_end"],
        "line": r["line"], "note": r["note"], "done": bool(r["done_now"] if "done_now" in r.keys() else r["done"]),
        "arxiv_id": r["arxiv_id"], "doi": r["doi"], "year": r["year"],
        "authors": json.loads(r["authors"]) if r["authors"] else [], "venue": r["venue"],
        "paper_id": r["paper_id"], "paper": None,
        "reason": r["reason"], "places": json.loads(r["places"]) if r["places"] else [],
        "outline": json.loads(r["outline"]) if r["outline"] else [],
    }
    if r["paper_id"] is not None and r["p_citekey"] is not None:
        d["paper"] = {
            "id": r["paper_id"], "citekey": r["p_citekey"], "title": r["p_title"], "status": r["p_status"],
            "year": r["p_year"], "arxiv_id": r["p_arxiv"], "doi": r["p_doi"],
            "authors": json.loads(r["p_authors"] or "[]"), "venue": r["p_venue"], "zotero_key": r["p_zotero"],
        }
    return d


def plan_tree(store: Store, plan: str | int | sqlite3.Row | None, *, kind: str | None = None, week: int | None = None,
              today: date | None = None) -> dict[str, Any]:
    """The plan as phases → weeks → items, in the order of the file. Items outside any schedule
    (closing advice, reference lists) come last, in a phase with label None."""
    row = resolve_plan(store, plan)
    where, params = "", ()
    if kind:
        where += " AND i.kind = ?"
        params += (kind,)
    if week is not None:
        where += " AND i.week_start <= ? AND coalesce(i.week_end, i.week_start) >= ?"
        params += (week, week)
    items = _items(store, row["id"], where, params)
    tree = _plan_dict(row)
    tree["current_week"] = current_week(store, row, today or date.today())
    phases: list[dict[str, Any]] = []
    index: dict[Any, dict[str, Any]] = {}
    unscheduled: list[dict[str, Any]] = []
    for it in items:
        if it["week_start"] is None and it["phase"] is None:
            unscheduled.append(it)
            continue
        pkey = (it["phase"], it["month_start"] if it["phase"] is None else None)
        phase = index.get(("p",) + pkey)
        if phase is None:
            phase = {"label": it["phase"], "month_start": it["month_start"], "month_end": it["month_end"], "weeks": []}
            index[("p",) + pkey] = phase
            phases.append(phase)
        wkey = ("w",) + pkey + (it["week_label"], it["week_start"], it["week_end"])
        wk = index.get(wkey)
        if wk is None:
            wk = {"label": it["week_label"], "week_start": it["week_start"], "week_end": it["week_end"],
                  "date_start": it["date_start"], "date_end": it["date_end"], "items": []}
            index[wkey] = wk
            phase["weeks"].append(wk)
        wk["items"].append(it)
        if phase["month_start"] is None or (it["month_start"] and it["month_start"] < phase["month_start"]):
            phase["month_start"] = it["month_start"] or phase["month_start"]
        if it["month_end"] and (phase["month_end"] is None or it["month_end"] > phase["month_end"]):
            phase["month_end"] = it["month_end"]
    if unscheduled:
        phases.extend(_outline_phases(unscheduled))
    tree["phases"] = phases
    counts = Counter(it["kind"] for it in items)
    tree["counts"] = {k: counts.get(k, 0) for k in KINDS}
    paper_ids = {it["paper_id"] for it in items if it["paper_id"]}
    tree["papers"] = len(paper_ids)
    tree["papers_read"] = len({it["paper_id"] for it in items if it["paper"] and it["paper"]["status"] in READ_STATUSES})
    others = [it for it in items if it["kind"] != "paper"]
    tree["items_done"] = {"items": len(others), "done": sum(1 for it in others if it["done"])}  # as ticks.progress, for these items
    return tree


def _outline_phases(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items outside any schedule, as one group; or, for a course outline (items under two or more
    chapters), chapter by chapter and section by section, in the order of the file."""
    def group(label, items, outline=False):
        return {"label": label, "month_start": None, "month_end": None, "outline": outline, "weeks": items}

    def week(label, items):
        return {"label": label, "week_start": None, "week_end": None, "date_start": None, "date_end": None, "items": items}

    chapters = {it["outline"][0] for it in items if it["outline"]}
    if len(chapters) < 2:
        return [group(None, [week(None, items)])]
    phases: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    by_chapter: dict[str, dict[str, Any]] = {}
    for it in items:
        if not it["outline"]:
            loose.append(it)
            continue
        chapter, rest = it["outline"][0], " › ".join(it["outline"][1:]) or None
        phase = by_chapter.get(chapter)
        if phase is None:
            phase = by_chapter[chapter] = group(chapter, [], outline=True)
            phases.append(phase)
        if not phase["weeks"] or phase["weeks"][-1]["label"] != rest:
            phase["weeks"].append(week(rest, []))
        phase["weeks"][-1]["items"].append(it)
    if loose:
        phases.append(group(None, [week(None, loose)]))
    return phases


def week_items(store: Store, plan: str | int | sqlite3.Row | None, week: int) -> list[dict[str, Any]]:
    """Every item scheduled in week `week` (week ranges included: 周1-2 is in weeks 1 and 2)."""
    row = resolve_plan(store, plan)
    return _items(store, row["id"], " AND i.week_start <= ? AND coalesce(i.week_end, i.week_start) >= ?", (week, week))


def next_items(store: Store, plan: str | int | sqlite3.Row | None, limit: int = 10) -> list[dict[str, Any]]:
    """A plan's first items still to do (not ticked off, and for papers not yet read), in the
    plan's order: what a plan without a weekly schedule (a reading list) has for this week."""
    row = resolve_plan(store, plan)
    read = ", ".join("?" * len(READ_STATUSES))
    return _items(store, row["id"], f" AND NOT COALESCE(t.done, i.done) AND coalesce(p.status, '') NOT IN ({read})",
                  READ_STATUSES)[:limit]


def current_week(store: Store, plan: str | int | sqlite3.Row | None, today: date) -> int | None:
    """Week number (1-based) of `today` counted from the plan's start date; None before the
    start, after the last scheduled week, or for a plan without a schedule."""
    row = resolve_plan(store, plan)
    if not row["start_date"]:
        return None
    try:
        start = date.fromisoformat(row["start_date"])
    except ValueError:
        return None
    days = (today - start).days
    if days < 0:
        return None
    week = days // 7 + 1
    last = store.scalar("SELECT max(coalesce(week_end, week_start)) FROM plan_items WHERE plan_id = ?", (row["id"],))
    if last is None or week > last:
        return None
    return week
