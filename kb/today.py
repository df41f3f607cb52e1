"""What's on today: cards due, this week's plan, what to read next, recent runs.

One read model for `kb today` and the TUI's Today screen, so both show the same thing. It reads
notes, plans, the graph and run records; none of them pulls in the heavy ML stack.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kb.store import Store


def today(store: Store, home: Path, config: dict, *, now: datetime | None = None, next_limit: int = 5,
          runs_limit: int = 5) -> dict[str, Any]:
    """{date, papers, due, due_cards, note_issues, week, read_next, runs} as plain JSON-able data.

    `week` is None without plans; otherwise the current week of the plan the user follows (`kb plan
    use`, else the first one; its first week when today falls outside the schedule, flagged by
    `outside_schedule`; for a plan without weeks, its next items to read, flagged by `unscheduled`)."""
    from kb.graph import suggest_next
    from notes import clock
    from reproductions import records

    now = clock.require_aware(now or datetime.now(timezone.utc))
    due, issues = cards_due(store, home, config, now)
    return {
        "date": clock.local_date(now).isoformat(),
        "papers": store.scalar("SELECT count(*) FROM papers") or 0,
        "due": len(due),
        "due_cards": due,
        "note_issues": issues,
        "week": this_week(store, clock.local_date(now), (config.get("today") or {}).get("plan") or ""),
        "read_next": suggest_next(store, limit=next_limit),
        "runs": [run_summary(r) for r in records.list_runs(store, limit=runs_limit)],
    }


def cards_due(store: Store, home: Path, config: dict, now: datetime) -> tuple[list[dict], list[str]]:
    """Today's review queue within the daily limits, after re-reading notes edited outside the
    tool (only changed files are parsed again); and the problems found in those notes."""
    from notes import review
    from notes.scheduler import Limits
    from notes.sync import sync_notes

    report = sync_notes(store, home, config, now)
    cards = review.due_cards(store, now, Limits.from_config(config))
    return [c.to_dict() for c in cards], [str(i) for i in report.issues]


def this_week(store: Store, day, plan_name: str = "") -> dict[str, Any] | None:
    """The items of the week `day` falls in, each with its paper's status, of the plan the user
    follows (`kb plan use`: `plan_name`), or of the first plan when none is chosen or the chosen
    one is gone."""
    from kb.plans import query

    plans = query.list_plans(store)
    if not plans:
        return None
    plan = next((p for p in plans if p["name"] == plan_name), plans[0])
    name = plan["title"] or plan["name"]
    which = {"plan_id": plan["id"], "plan": plan["name"], "plans": len(plans), "chosen": plan["name"] == plan_name}
    if not plan["weeks"]:
        # A reading list without weeks (seed 004): "week 1, outside its schedule" was an empty table.
        items = _with_status(query.next_items(store, plan["id"]))
        return {**which, "title": f"{name} · no weekly schedule: next to read", "week": None, "outside_schedule": False,
                "unscheduled": True, "items": items}
    week = query.current_week(store, plan["id"], day)
    # Before the plan's start or after its end: its first week is the useful default.
    outside = week is None
    week = 1 if outside else week
    items = _with_status(query.week_items(store, plan["id"], week))
    title = f"{name} · week {week}" + (" (today is outside its schedule)" if outside else "")
    return {**which, "title": title, "week": week, "outside_schedule": outside, "unscheduled": False, "items": items}


def _with_status(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        item["status"] = (item.get("paper") or {}).get("status")
    return items


def follow(store: Store, home: Path, plan_ref: str | int) -> dict[str, Any]:
    """`kb plan use PLAN`: Today shows PLAN's week from now on (config today.plan)."""
    from kb import config as config_mod
    from kb import paths
    from kb.plans.query import resolve_plan

    row = resolve_plan(store, plan_ref)
    config_mod.set_value(paths.config_path(home), "today.plan", row["name"])
    return {"plan": row["name"], "title": row["title"]}


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """A run record as one row: what ran, on which paper, its one verdict, when."""
    from reproductions import records

    # One verdict per run, worded as everywhere else (a cancelled run is not a failed claim).
    return {"id": run["run_id"], "name": f"#{run['run_id']} {run['reproduction']} ({run['preset']})",
            "paper": run.get("paper") or "", "paper_id": run.get("paper_id"), "paper_title": _paper_title(run),
            "verdict": records.verdict(run),
            "result": records.verdict_label(run),
            "when": (run.get("started_at") or "")[:16].replace("T", " ")}


def _paper_title(run: dict[str, Any]) -> str:
    """The library's title of the run's paper; for a paper not in the library, the title the
    reproduction names it by; the arXiv id only for a reproduction this version no longer has."""
    if run.get("paper_title"):
        return run["paper_title"]
    from kb.errors import NotFound
    from reproductions import registry

    try:
        return registry.get(run["reproduction"]).paper_title
    except NotFound:
        return run.get("paper") or ""
