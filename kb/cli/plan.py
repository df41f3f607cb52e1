"""`kb plan ...`: import Markdown reading plans and show them week by week."""

from __future__ import annotations

from datetime import date

import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.lazy import LazyGroup
from kb.cli.output import emit_json, pad, say, truncate
from kb.terminal_text import clean

KIND_CHOICES = ["paper", "book", "course", "tutorial", "task", "other"]
_KIND_HEADINGS = {"paper": "papers", "book": "books", "course": "courses", "tutorial": "tutorials / docs", "task": "tasks", "other": "other"}

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "unmatched": ("kb.cli.zotero:plan_unmatched", "List plan papers not matched to Zotero, with candidates."),
    "from-collection": ("kb.cli.zotero:plan_from_collection", "Import a Zotero collection as a plan."),
}


@click.group(cls=LazyGroup, registry=SUBCOMMANDS)
def plan() -> None:
    """Import reading plans from Markdown and show them week by week."""


@plan.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--name", help="Plan name (default: the file name). A file holding several plans gives NAME-1, NAME-2, ...")
@click.option("--replace", is_flag=True, help="Replace a plan of that name imported from another file.")
@click.option("--online/--offline", "online", default=None,
              help="Look up papers the catalog lacks by their arXiv id, DOI or ACL Anthology link (default: config resolve.online).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def import_cmd(ctx: Ctx, file: str, name: str | None, replace: bool, online: bool | None, as_json: bool) -> None:
    """Import (or re-import) a Markdown reading plan."""
    from kb.plans import importer
    from kb.resolve.resolver import Resolver

    resolver = Resolver(ctx.home, ctx.config, online=online)
    result = importer.import_plan(ctx.store, file, name=name, replace=replace, resolver=resolver if resolver.online else None)
    if as_json:
        emit_json(result.to_dict())
        return
    # Plan titles, headings and the notes quoting them come from the user's file: escapes stripped.
    for note in result.notes:
        click.echo(f"note: {clean(note)}", err=True)
    for p in result.plans:
        verb = "imported" if p["created"] else "updated"
        c = p["counts"]
        others = ", ".join(f"{c[k]} {_KIND_HEADINGS[k]}" for k in ("book", "course", "tutorial", "task", "other") if c[k])
        say(f"{verb} plan {p['name']}" + (f" ({p['title']})" if p["title"] else "") + f": {p['papers']} papers"
                   + (f" ({p['papers_from_catalog']} identified offline, {p['papers_created']} new to the library)" if p["papers"] else "")
                   + (f", {others}" if others else ""))
        if not p["created"]:
            click.echo(f"  {p['added']} added, {p['updated']} changed, {p['removed']} removed, {p['unchanged']} unchanged")
    for gone in result.removed_plans:
        say(f"removed plan {gone} (no longer in the file)")
    if result.matching:
        m = result.matching
        say(f"against Zotero: {m['matched']} matched, {m['ambiguous']} ambiguous, {m['unmatched']} not in Zotero"
            + ("  (see `kb plan unmatched`)" if m["ambiguous"] or m["unmatched"] else ""))
    if len(result.plans) > 1:
        say(f"the file holds {len(result.plans)} plans; see them with `kb plan show {result.plans[0]['name']}`")
    elif result.plans:
        say(f"see it with `kb plan show {result.plans[0]['name']}`")


@plan.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_cmd(ctx: Ctx, as_json: bool) -> None:
    """List the imported plans."""
    from kb.cli.output import echo_table
    from kb.plans import query

    rows = query.list_plans(ctx.store)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No plans yet. Import one with `kb plan import FILE` (or try `kb demo`).")
        return
    today = date.today()
    table = []
    for r in rows:
        c = r["counts"]
        week = query.current_week(ctx.store, r["id"], today)
        table.append((r["id"], r["name"], r["lang"], f"{r['papers_read']}/{r['papers']}", c["book"], c["course"] + c["tutorial"], c["task"],
                      f"{r['items_done']['done']}/{r['items_done']['items']}", r["start_date"] or "", week or "", r["title"] or ""))
    echo_table(table, ["id", "name", "lang", "read", "books", "courses", "tasks", "done", "start", "week", "title"],
               [5, 28, 4, 7, 5, 7, 5, 7, 10, 4, 50])


@plan.command("show")
@click.argument("plan_ref", metavar="[PLAN]", required=False)
@click.option("--week", type=types.WEEK, help="Only this week of the plan.")
@click.option("--this-week", is_flag=True, help="Only the current week (from the plan's start date).")
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="Only items of this kind.")
@click.option("--why", is_flag=True, help="Say why each item is a paper, a book, a course, ... (the evidence the importer used).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show_cmd(ctx: Ctx, plan_ref: str | None, week: int | None, this_week: bool, kind: str | None, why: bool, as_json: bool) -> None:
    """Show a plan week by week.

    Papers are listed with their id, citekey and reading status; books, courses, tutorials and
    tasks are kept apart. A course outline is shown chapter by chapter; a reference listed in
    several places is one item that names them. PLAN is a name, a unique prefix of one, or an id
    (optional when there is only one plan)."""
    from kb.errors import BadInput
    from kb.plans import query

    if this_week:
        current = query.current_week(ctx.store, plan_ref, date.today())
        if current is None:
            raise BadInput("today is outside the plan's schedule", "set its first day with `kb plan start PLAN YYYY-MM-DD`")
        week = current
    tree = query.plan_tree(ctx.store, plan_ref, kind=kind, week=week)
    if as_json:
        emit_json(tree)
        return
    _print_tree(tree, week, why)


def _print_tree(tree: dict, week: int | None, why: bool = False) -> None:
    # Names, titles, headings and reasons come from the plan file: escapes stripped before styling.
    head = f"{tree['name']}" + (f" — {tree['title']}" if tree["title"] else "")
    click.secho(clean(head), bold=True)
    bits = [f"{tree['papers_read']}/{tree['papers']} papers read"]
    if tree["items_done"]["items"]:
        bits.append(f"{tree['items_done']['done']}/{tree['items_done']['items']} books, courses and tasks done")
    if tree["start_date"]:
        bits.append(f"week 1 starts {tree['start_date']}")
    if tree["current_week"]:
        bits.append(f"this is week {tree['current_week']}")
    click.echo("  " + " · ".join(bits))
    if not any(w["items"] for p in tree["phases"] for w in p["weeks"]):
        click.echo("  (nothing" + (f" in week {week}" if week is not None else "") + ")")
        return
    for phase in tree["phases"]:
        click.echo("")
        if phase["label"] is None and all(w["label"] is None and w["week_start"] is None for w in phase["weeks"]):
            click.secho("Not scheduled", bold=True)
        elif phase["label"]:
            months = _range("month", phase["month_start"], phase["month_end"])
            click.secho(clean(phase["label"] + (f"  ({months})" if months and months not in phase["label"] else "")), bold=True)
        for wk in phase["weeks"]:
            indent = "  "
            if wk["label"] or wk["week_start"]:
                weeks = _range("week", wk["week_start"], wk["week_end"])
                label = wk["label"] or weeks
                marker = "  ← this week" if tree["current_week"] and wk["week_start"] and wk["week_start"] <= tree["current_week"] <= (wk["week_end"] or wk["week_start"]) else ""
                say(f"  {label}" + (f"  ({weeks})" if wk["label"] and weeks else "") + marker)
                indent = "    "
            _print_items(wk["items"], indent, why)


def _print_items(items: list[dict], indent: str, why: bool = False) -> None:
    by_kind: dict[str, list[dict]] = {}
    for it in items:
        by_kind.setdefault(it["kind"], []).append(it)
    for kind in KIND_CHOICES:
        group = by_kind.get(kind)
        if not group:
            continue
        click.echo(f"{indent}{_KIND_HEADINGS[kind]}:")
        for it in group:
            box = "[x]" if it["done"] else "[ ]"
            if kind == "paper" and it["paper"]:
                p = it["paper"]
                status = p["status"]
                mark = "[x]" if status in ("read", "reviewed") or it["done"] else ("[~]" if status == "reading" else "[ ]")
                ident = f"#{p['id']} {p['citekey']}"
                extra = f" ({p['year']})" if p["year"] else ""
                click.echo(f"{indent}  {mark} {pad(truncate(ident, 30), 30)} {pad(status, 8)} {truncate(p['title'], 90)}{extra}")
            else:
                text = it["title"] if it["title"] and kind in ("book", "course", "tutorial") else it["text"]
                click.echo(f"{indent}  {box} {truncate(text, 110)}")
            if len(it.get("places") or []) > 1:
                say(f"{indent}      listed {len(it['places'])} times: " + "; ".join(_place(p) for p in it["places"]))
            if why and it.get("reason"):
                click.secho(clean(f"{indent}      why: {it['reason']}"), dim=True)


def _place(place: dict) -> str:
    where = " › ".join(place.get("outline") or []) or place.get("week_label") or place.get("section") or ""
    return (f"{where} " if where else "") + f"(line {place['line']})"


def _range(unit: str, a: int | None, b: int | None) -> str:
    if a is None:
        return ""
    if b is None or b == a:
        return f"{unit} {a}"
    return f"{unit}s {a}-{b}"


@plan.command("start")
@click.argument("plan_ref", metavar="PLAN")
@click.argument("when", metavar="DATE")
@pass_ctx
def start_cmd(ctx: Ctx, plan_ref: str, when: str) -> None:
    """Set the day week 1 starts.

    DATE is YYYY-MM-DD or `today`; `kb plan show --this-week` and the TUI count weeks from it."""
    from kb.errors import BadInput
    from kb.plans import importer

    try:
        day = date.today() if when.lower() == "today" else date.fromisoformat(when)
    except ValueError:
        raise BadInput(f"not a date: {when!r}", "write it as YYYY-MM-DD, e.g. 2026-09-07") from None
    done = importer.set_start(ctx.store, plan_ref, day)
    say(f"{done['name']}: week 1 starts {done['start_date']}")


@plan.command("use")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def use_cmd(ctx: Ctx, plan_ref: str, as_json: bool) -> None:
    """Follow PLAN: Today (`kb today` and the TUI) shows its week. Without it, the first plan imported."""
    from kb.today import follow

    chosen = follow(ctx.store, ctx.home, plan_ref)
    if as_json:
        emit_json(chosen)
        return
    say(f"Today follows {chosen['plan']}" + (f" ({chosen['title']})" if chosen["title"] else ""))


@plan.command("remove")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def remove_cmd(ctx: Ctx, plan_ref: str, yes: bool, as_json: bool) -> None:
    """Remove PLAN and its items; its papers stay in the library and notes stay where they are."""
    from kb.cli.output import confirm
    from kb.plans.query import resolve_plan
    from kb.removal import remove_plan

    found = resolve_plan(ctx.store, plan_ref)
    confirm(f"Remove plan {found['name']!r} ({found['title'] or ''})? Its papers and your notes stay", yes)
    removed = remove_plan(ctx.store, str(found["id"]))
    if as_json:
        emit_json(removed)
        return
    from notes.files import notes_dir

    say(f"removed plan {removed['name']!r} ({removed['items']} items); its papers stay in the library, "
        f"your notes stay in {notes_dir(ctx.home, ctx.config)}")


@plan.command("done")
@click.argument("item")
@click.option("--plan", "plan_ref", help="Look for ITEM in this plan only.")
@click.option("--undo", is_flag=True, help="Untick it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def done_cmd(ctx: Ctx, item: str, plan_ref: str | None, undo: bool, as_json: bool) -> None:
    """Tick off ITEM (a book, course, tutorial, task or paper: its id, or a unique part of its
    title); counted in the plan's progress, kept when the plan file is imported again."""
    from kb.plans import ticks

    row = ticks.resolve_item(ctx.store, item, plan_ref)
    changed = ticks.set_done(ctx.store, row, not undo)
    progress = ticks.progress(ctx.store, row["plan_id"])
    name = row["title"] or row["text"]
    if as_json:
        emit_json({"id": row["id"], "plan_id": row["plan_id"], "kind": row["kind"], "title": name, "done": not undo,
                   "changed": changed, "progress": progress})
        return
    state = "not done" if undo else "done"
    say(f"{'marked' if changed else 'already'} {state}: {name} ({row['kind']}) · "
        f"{progress['done']}/{progress['items']} books, courses and tasks done in this plan")
