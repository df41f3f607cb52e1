"""Notes and spaced repetition: `kb note`, `kb cards`, `kb review ...`, `kb export anki`."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, warn
from kb.errors import BadInput

now_option = click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; for tests and demos).")


def _now(now_text: str | None) -> datetime:
    if not now_text:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadInput(f"--now {now_text!r} is not an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sync(ctx: Ctx, now: datetime):
    from notes.sync import sync_notes

    return sync_notes(ctx.store, ctx.home, ctx.config, now)


@click.command()
@click.argument("paper")
@click.option("--path", "path_only", is_flag=True, help="Create the note if needed and print its path; do not open it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (implies --path).")
@pass_ctx
def note(ctx: Ctx, paper: str, path_only: bool, as_json: bool) -> None:
    """Open PAPER's Markdown note in your editor (created from the template the first time)."""
    from kb import papers
    from notes import editor, files, highlights

    p = papers.resolve(ctx.store, paper)
    path = files.ensure_note(ctx.store, ctx.home, ctx.config, p)
    added = highlights.import_highlights(ctx.store, path, p)
    if as_json:
        emit_json({"paper_id": p.id, "citekey": p.citekey, "path": str(path), "highlights_added": added})
        return
    if added:
        click.echo(f"added {added} new Zotero highlight(s) to the note")
    if path_only:
        click.echo(str(path))
        return
    editor.open_in_editor(path, (ctx.config.get("notes") or {}).get("editor") or None)
    report = _sync(ctx, datetime.now(timezone.utc))
    click.echo(f"{path}: {report.cards_new} new, {report.cards_edited} edited card(s)")
    # Only this note's problems: the others' are for `kb cards --check`, not every edit.
    mine = path.resolve().relative_to(files.notes_dir(ctx.home, ctx.config).resolve()).as_posix() \
        if path.resolve().is_relative_to(files.notes_dir(ctx.home, ctx.config).resolve()) else None
    for issue in report.issues:
        if issue.path == mine:
            warn(str(issue))


@click.command()
@click.argument("paper", required=False)
@click.option("--check", is_flag=True, help="Report problems in the notes (broken front matter, half-written cards, ...).")
@click.option("--suspended", "show_suspended", is_flag=True, help="Include suspended cards.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def cards(ctx: Ctx, paper: str | None, check: bool, show_suspended: bool, as_json: bool, now_text: str | None) -> None:
    """List the flash cards in PAPER's note (all notes without PAPER), or check them."""
    from kb import papers
    from notes import sync

    now = _now(now_text)
    paper_id = papers.resolve(ctx.store, paper).id if paper else None
    if check:
        issues = sync.note_issues(ctx.store, ctx.home, ctx.config, paper_id, now)
        if as_json:
            emit_json([i.to_dict() for i in issues])
        elif not issues:
            click.echo("no problems found in the notes")
        else:
            for issue in issues:
                click.echo(str(issue))
        if issues:
            raise click.exceptions.Exit(1)
        return
    from notes import review as review_mod

    _sync(ctx, now)
    rows = review_mod.list_cards(ctx.store, paper_id, include_suspended=show_suspended)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No cards yet. Write `question :: answer` lines in a note (`kb note PAPER`).")
        return
    echo_table(
        [(r["id"], r["citekey"] or "", r["kind"], r["state"] + (" (suspended)" if r["suspended"] else ""), (r["due"] or "")[:16], r["front"])
         for r in rows],
        ["id", "paper", "kind", "state", "due", "front"], [6, 24, 5, 22, 16, 70],
    )


@click.group(invoke_without_command=True)
@now_option
@click.pass_context
def review(click_ctx: click.Context, now_text: str | None) -> None:
    """Review due flash cards (FSRS). Without a subcommand: an interactive session."""
    if click_ctx.invoked_subcommand is None:
        _session(click_ctx.find_object(Ctx), now_text)


@review.command("due")
@click.option("--limit", type=int, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def review_due(ctx: Ctx, limit: int | None, as_json: bool, now_text: str | None) -> None:
    """List the cards due now (within today's limits)."""
    from notes import review as review_mod
    from notes.scheduler import Limits

    now = _now(now_text)
    _sync(ctx, now)
    due = review_mod.due_cards(ctx.store, now, Limits.from_config(ctx.config))
    if limit is not None:
        due = due[:limit]
    if as_json:
        emit_json([c.to_dict() for c in due])
        return
    if not due:
        click.echo("Nothing due. " + _come_back(ctx, now))
        return
    echo_table([(c.id, c.citekey or c.note_path, c.state, c.kind, c.front) for c in due], ["id", "paper", "state", "kind", "front"], [6, 24, 10, 5, 80])


@review.command("rate")
@click.argument("card_id", type=int)
@click.argument("rating")
@click.option("--duration-ms", type=int, help="How long the review took.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def review_rate(ctx: Ctx, card_id: int, rating: str, duration_ms: int | None, as_json: bool, now_text: str | None) -> None:
    """Rate CARD_ID: again, hard, good or easy (or 1-4)."""
    from notes import clock, review as review_mod, scheduler

    rated = review_mod.rate(ctx.store, card_id, rating, _now(now_text), duration_ms, scheduler=scheduler.for_config(ctx.store, ctx.config))
    if as_json:
        emit_json({"review_id": rated.review_id, "card_id": rated.card_id, "rating": rated.rating, "state": rated.state,
                   "due": clock.to_iso(rated.due), "interval_days": round(rated.interval.total_seconds() / 86400, 4)})
    else:
        click.echo(f"card {card_id}: {rated.rating} → {rated.state}, next in {_human(rated.interval)}")


@review.command("undo")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def review_undo(ctx: Ctx, as_json: bool) -> None:
    """Take back the last rating."""
    from notes import clock, review as review_mod

    undone = review_mod.undo_last(ctx.store)
    if as_json:
        emit_json(None if undone is None else {"review_id": undone.review_id, "card_id": undone.card_id, "rating": undone.rating,
                                               "reviewed_at": clock.to_iso(undone.reviewed_at)})
    elif undone is None:
        click.echo("nothing to undo")
    else:
        click.echo(f"undid '{undone.rating}' on card {undone.card_id}")


@review.command("stats")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="Period for reviews per day and retention.")
@click.option("--weeks", type=click.IntRange(1, 104), default=12, show_default=True, help="Weeks shown in the heatmap.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def review_stats(ctx: Ctx, days: int, weeks: int, as_json: bool, now_text: str | None) -> None:
    """Due today and this week, reviews per day, true retention, streak and a heatmap."""
    from notes import stats

    now = _now(now_text)
    _sync(ctx, now)
    data = stats.review_stats(ctx.store, now, days=days)
    if as_json:
        emit_json(data)
        return
    retention = "n/a (no reviews of learned cards yet)" if data["true_retention"] is None else f"{data['true_retention']:.1%} of {data['retention_reviews']}"
    week = ", ".join(f"{d['date'][5:]} {d['count']}" for d in data["due_next_7_days"])
    click.echo(f"due today        {data['due_today']} (+{data['new_available']} new cards waiting)")
    click.echo(f"next 7 days      {week}")
    click.echo(f"reviews today    {data['reviews_today']}; {data['reviews_per_day']['average']:.1f}/day over {days} days")
    click.echo(f"true retention   {retention}")
    click.echo(f"streak           {data['streak']} day(s)")
    click.echo(f"cards            {data['cards']} active, {data['suspended']} suspended")
    click.echo("")
    click.echo(stats.heatmap(ctx.store, now, weeks=weeks))


@review.command("optimize")
@click.option("--min-reviews", type=int, default=None, help="Fit even with fewer reviews than the default minimum.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def review_optimize(ctx: Ctx, min_reviews: int | None, as_json: bool) -> None:
    """Fit FSRS parameters to your own reviews (needs the optimizer extra: torch)."""
    from notes import scheduler

    kwargs = {} if min_reviews is None else {"min_reviews": min_reviews}
    parameters = scheduler.optimize(ctx.store, **kwargs)
    if as_json:
        emit_json({"parameters": parameters})
    else:
        click.echo("fitted FSRS parameters (used from now on):")
        click.echo("  " + ", ".join(f"{p:.4f}" for p in parameters))


def _session(ctx: Ctx, now_text: str | None) -> None:
    """Show each due card's front, wait, show the back, ask for a rating."""
    from notes import review as review_mod, scheduler
    from notes.scheduler import Limits

    _sync(ctx, _now(now_text))
    sched = scheduler.for_config(ctx.store, ctx.config)
    limits = Limits.from_config(ctx.config)
    done = 0
    while True:
        now = _now(now_text)
        due = review_mod.due_cards(ctx.store, now, limits)
        if not due:
            click.echo(f"Done: {done} review(s). " + _come_back(ctx, now))
            return
        card = due[0]
        click.echo("")
        click.echo(click.style(f"[{card.citekey or card.note_path} · {card.state} · {len(due)} left]", dim=True))
        click.echo(card.front)
        started = time.monotonic()
        if click.prompt("Enter to show the answer (q to stop)", default="", show_default=False).strip().lower() == "q":
            click.echo(f"Stopped after {done} review(s).")
            return
        click.echo(click.style("―" * 20, dim=True))
        click.echo(card.back)
        while True:
            answer = click.prompt("1 again · 2 hard · 3 good · 4 easy · u undo · q quit", default="3").strip().lower()
            if answer == "q":
                click.echo(f"Stopped after {done} review(s).")
                return
            if answer == "u":
                undone = review_mod.undo_last(ctx.store)
                click.echo("nothing to undo" if undone is None else f"undid '{undone.rating}' on card {undone.card_id}")
                done = max(0, done - (undone is not None))
                break
            try:
                rated = review_mod.rate(ctx.store, card.id, answer, _now(now_text), int((time.monotonic() - started) * 1000), scheduler=sched)
            except BadInput as exc:
                click.echo(str(exc))
                continue
            done += 1
            click.echo(f"→ {rated.state}, next in {_human(rated.interval)}")
            break


def _come_back(ctx: Ctx, now: datetime) -> str:
    from notes import review as review_mod

    upcoming = review_mod.next_due(ctx.store)
    if upcoming is None or upcoming <= now:
        return ""
    return f"Next card due in {_human(upcoming - now)}."


def _human(delta) -> str:
    seconds = max(0, delta.total_seconds())
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    days = seconds / 86400
    return f"{days:.0f} days" if days < 60 else f"{days / 30.4:.1f} months"


@click.group()
def export() -> None:
    """Export cards to other tools."""


@export.command("anki")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_name", help="Only the cards of this plan's papers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def export_anki(ctx: Ctx, file: str, plan_name: str | None, as_json: bool, now_text: str | None) -> None:
    """Write the cards to FILE.apkg: a deck per plan, cloze cards as cloze notes."""
    from notes import anki

    _sync(ctx, _now(now_text))
    report = anki.export_apkg(ctx.store, file, plan_name)
    if as_json:
        emit_json({"path": str(report.path), "decks": report.decks, "notes": report.notes, "cards": report.cards})
        return
    click.echo(f"wrote {report.cards} card(s) in {report.notes} Anki note(s) to {report.path}")
    for name, count in report.decks.items():
        click.echo(f"  {name}: {count}")
