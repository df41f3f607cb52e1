"""Read models the screens show, adapted from the domain areas' own read functions.

Each function takes an open store (in a worker thread) and returns plain dicts, or None when the
area it reads has not landed in this install (the screen then says so). No domain logic lives
here: only the shape a screen needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui import domain


def _obj(value: Any) -> dict[str, Any]:
    """Domain functions return dicts or dataclasses; screens want dicts."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    return dict(getattr(value, "__dict__", {}))


def due_cards(store, home: Path) -> list[dict[str, Any]]:
    """Today's review queue, within the user's daily limits, after reading any notes edited
    outside the tool (only changed files are parsed again)."""
    review = domain.load("notes.review", "Flash cards")
    from notes import clock
    from notes.scheduler import Limits
    from notes.sync import sync_notes

    sync_notes(store, home, domain.config(home))
    return [c.to_dict() for c in review.due_cards(store, clock.utc_now(), Limits.from_config(domain.config(home)))]


def rate(store, home: Path, card_id: int, rating: int) -> None:
    review = domain.load("notes.review", "Flash cards")
    from notes import clock
    from notes.scheduler import for_config

    review.rate(store, card_id, rating, clock.utc_now(), scheduler=for_config(store, domain.config(home)))


def due_count(store, home: Path) -> int | None:
    try:
        return len(due_cards(store, home))
    except domain.Unavailable:
        return None


def this_week(store) -> tuple[str, list[dict[str, Any]] | None]:
    """This week's items of the first plan (week counted from its start date)."""
    from datetime import date

    try:
        query = domain.load("kb.plans.query", "Plans")
    except domain.Unavailable:
        return "", None
    plans = query.list_plans(store)
    if not plans:
        return "", []
    plan = plans[0]
    week = query.current_week(store, plan["id"], date.today())
    title = f"{plan['title'] or plan['name']} · week {week}"
    if week is None:
        # Before the plan's start or after its end: its first week is the useful default.
        week, title = 1, f"{plan['title'] or plan['name']} · week 1 (today is outside its schedule)"
    items = query.week_items(store, plan["id"], week)
    for item in items:
        item["status"] = (item.get("paper") or {}).get("status")
    return title, items


def read_next(store, limit: int) -> list[dict[str, Any]] | None:
    try:
        graph = domain.load("kb.graph", "Reading suggestions")
    except domain.Unavailable:
        return None
    out = []
    for s in graph.suggest_next(store, limit=limit):
        s = _obj(s)
        out.append({"paper_id": s.get("paper_id") or s.get("id"), "title": s.get("title", ""), "why": s.get("why") or s.get("reason", "")})
    return out


def recent_runs(store, home: Path, limit: int) -> list[dict[str, Any]] | None:
    try:
        records = domain.load("reproductions.records", "Reproductions")
    except domain.Unavailable:
        return None
    return [run_summary(r) for r in records.list_runs(store, limit=limit)]


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """A run record as one table row: what ran, on which paper, whether the claim held."""
    if run["status"] in ("passed", "failed") and run.get("passed") is not None:
        result = "✔ claim held" if run["passed"] else "✘ claim not held"
    else:
        result = run["status"] + (f": {run['error'][:40]}" if run.get("error") else "")
    return {"id": run["run_id"], "name": f"#{run['run_id']} {run['reproduction']} ({run['preset']})",
            "paper": run.get("paper") or "", "paper_id": run.get("paper_id"), "result": result,
            "when": (run.get("started_at") or "")[:16].replace("T", " ")}


def plans(store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.all("SELECT id, name, title, lang FROM plans ORDER BY id")]


def plan_outline(store, plan_id: int) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    """The plan's items in file order, grouped phase → week for a tree (headings as written)."""
    rows = store.all(
        "SELECT i.id, i.kind, i.text, i.title, i.phase, i.week_label, i.week_start, i.section, i.done, i.paper_id, "
        "p.status FROM plan_items i LEFT JOIN papers p ON p.id = i.paper_id WHERE i.plan_id = ? ORDER BY i.position",
        (plan_id,),
    )
    outline: list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]] = []
    for row in rows:
        phase = row["phase"] or "—"
        week = row["week_label"] or "—"
        if not outline or outline[-1][0] != phase:
            outline.append((phase, []))
        weeks = outline[-1][1]
        if not weeks or weeks[-1][0] != week:
            weeks.append((week, []))
        weeks[-1][1].append(dict(row))
    return outline


def library_rows(store, home: Path) -> list[dict[str, Any]]:
    """Every paper with its first plan week; cards due and runs where those areas exist."""
    from kb import library

    papers = library.list_papers(store)
    weeks = {r["paper_id"]: r["week_label"] for r in store.all(
        "SELECT paper_id, week_label, min(position) FROM plan_items WHERE paper_id IS NOT NULL GROUP BY paper_id")}
    due = per_paper_due(store, home)
    runs = per_paper_runs(store, home)
    for p in papers:
        p["week"] = weeks.get(p["id"]) or ""
        p["due"] = due.get(p["id"], 0) if due is not None else None
        p["runs"] = runs.get(p["id"], 0) if runs is not None else None
    return papers


def per_paper_due(store, home: Path) -> dict[int, int] | None:
    try:
        cards = due_cards(store, home)
    except domain.Unavailable:
        return None
    counts: dict[int, int] = {}
    for card in cards:
        pid = card.get("paper_id")
        if pid:
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def per_paper_runs(store, home: Path) -> dict[int, int] | None:
    try:
        records = domain.load("reproductions.records", "Reproductions")
    except domain.Unavailable:
        return None
    counts: dict[int, int] = {}
    for run in records.list_runs(store):
        pid = _obj(run).get("paper_id")
        if pid:
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def paper_view(store, home: Path, paper_id: int) -> dict[str, Any]:
    """Everything the Paper screen shows. Parts whose area has not landed are None."""
    from kb import library, papers

    view: dict[str, Any] = {"detail": library.paper_detail(store, paper_id), "pdf": papers.pdf_path(store, paper_id)}
    view["outline"] = _optional(lambda: _outline(store, paper_id))
    view["note"] = _optional(lambda: _note(store, home, paper_id))
    view["cards"] = _optional(lambda: _cards(store, paper_id))
    view["highlights"] = _optional(lambda: _highlights(store, paper_id))
    view["neighbours"] = _optional(lambda: _obj(domain.load("kb.graph", "The graph").neighbours(store, paper_id)))
    view["reproductions"] = _optional(lambda: [_obj(r) for r in domain.load("reproductions.registry", "Reproductions").for_paper(store, paper_id)])
    view["runs"] = _optional(lambda: [run_summary(r) for r in domain.load("reproductions.records", "Reproductions").list_runs(store, paper_id=paper_id)])
    return view


def _optional(fn):
    """A part of the view whose area (or a module it needs) has not landed yet is None."""
    try:
        return fn()
    except (domain.Unavailable, ModuleNotFoundError):
        return None


def _outline(store, paper_id: int) -> list[dict[str, Any]]:
    fulltext = domain.load("kb.fulltext", "The outline")
    return [dict(s, page=s["start_page"]) for s in fulltext.sections(store, paper_id)]


def _note(store, home: Path, paper_id: int) -> dict[str, Any]:
    from kb import papers

    files = domain.load("notes.files", "Notes")
    path = files.note_path(home, domain.config(home), papers.get(store, paper_id))
    text = files.read_text(path) if path.exists() else ""
    # The YAML front matter is for tools; the reader sees the body.
    return {"path": path, "text": text[files.parse_front_matter(text).body_start:]}


def _cards(store, paper_id: int) -> list[dict[str, Any]]:
    # notes/ offers no "cards of a paper" read yet; this is the listing `kb cards PAPER` shows.
    domain.load("notes.sync", "Cards")
    return [dict(r) for r in store.all(
        "SELECT id, kind, front, back, line FROM cards WHERE paper_id = ? AND suspended = 0 ORDER BY line, id", (paper_id,))]


def _highlights(store, paper_id: int) -> list[dict[str, Any]]:
    highlights = domain.load("notes.highlights", "Highlights")
    return [_obj(h) for h in highlights.zotero_highlights(store, paper_id)]
