"""Notes and spaced repetition: `kb note`, `kb cards`, `kb links`, `kb review ...`, `kb export anki`,
and the bibliography (`kb export bibtex|csljson`)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, say, warn
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
        from notes import links
        from notes.files import notes_dir

        issues = sync.note_issues(ctx.store, ctx.home, ctx.config, paper_id, now)
        issues += [sync.NoteIssue(u["note_path"], f"a link to an unknown paper: [[{u['target']}]] (no paper has this citekey; see `kb papers`)", u["line"])
                   for u in links.unknown(ctx.store, notes_dir(ctx.home, ctx.config), paper_id)]
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
@click.option("--limit", type=types.LIMIT, help="Show at most this many.")
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
@click.argument("card_id", type=types.ROW_ID)
@click.argument("rating")
@click.option("--duration-ms", type=types.DURATION_MS, help="How long the review took.")
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
@click.option("--min-reviews", type=types.COUNT, default=None, help="Fit even with fewer reviews than the default minimum.")
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


@click.command("links")
@click.argument("paper")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def links_cmd(ctx: Ctx, paper: str, as_json: bool) -> None:
    """PAPER's [[citekey]] links: what its note links to, and the notes that link to it (backlinks)."""
    from kb import papers
    from notes import links

    _sync(ctx, datetime.now(timezone.utc))
    found = papers.resolve(ctx.store, paper)
    out, back = links.outgoing(ctx.store, found.id), links.backlinks(ctx.store, found.id)
    if as_json:
        emit_json({"paper": {"id": found.id, "citekey": found.citekey, "title": found.title}, "links_to": out, "backlinks": back})
        return
    # Titles and a [[target]] as written in a note: escapes stripped.
    say(f"{found.title} ({found.citekey})")
    click.echo("links to:" if out else "links to: nothing (write [[citekey]] in its note)")
    for link in out:
        say(f"  [[{link['target']}]] {link['title'] or '(no such paper)'}  {link['note_path']}:{link['line']}")
    click.echo("linked from:" if back else "linked from: no note links here")
    for link in back:
        say(f"  {link['title']} ({link['citekey']})  {link['note_path']}:{link['line']}")


def _session(ctx: Ctx, now_text: str | None) -> None:
    """Show each due card's front, wait, show the back, ask for a rating. Learning cards come
    back in the session when due (or up to 20 minutes early once nothing else is left)."""
    from notes import review as review_mod, scheduler
    from notes.scheduler import Limits

    sched = scheduler.for_config(ctx.store, ctx.config)
    limits = Limits.from_config(ctx.config)
    done = 0
    while True:
        now = _now(now_text)
        _sync(ctx, now)  # only changed notes are parsed: a card deleted meanwhile leaves the queue
        due = review_mod.session_cards(ctx.store, now, limits)
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
        intervals = review_mod.preview(ctx.store, card.id, _now(now_text), scheduler=sched)
        keys = " · ".join(f"{n} {name} {_human(intervals[name])}" for n, name in enumerate(intervals, 1))
        while True:
            answer = click.prompt(f"{keys} · s suspend · b bury · e edit · u undo · q quit", default="3").strip().lower()
            if answer == "q":
                click.echo(f"Stopped after {done} review(s).")
                return
            if answer == "u":
                undone = review_mod.undo_last(ctx.store)
                click.echo("nothing to undo" if undone is None else f"undid '{undone.rating}' on card {undone.card_id}")
                done = max(0, done - (undone is not None))
                break
            if answer in ("s", "b", "e"):
                click.echo(_card_action(ctx, card, answer, _now(now_text)))
                break
            try:
                _sync(ctx, _now(now_text))
                rated = review_mod.rate(ctx.store, card.id, answer, _now(now_text), int((time.monotonic() - started) * 1000), scheduler=sched)
            except review_mod.CardGone as exc:
                click.echo(f"skipped: {exc.message}")
                break
            except BadInput as exc:
                click.echo(str(exc))
                continue
            done += 1
            click.echo(f"→ {rated.state}, next in {_human(rated.interval)}")
            break


def _card_action(ctx: Ctx, card, key: str, now: datetime) -> str:
    """s, b or e on the card shown: suspend it, bury it until tomorrow, or edit it in its note."""
    from notes import review as review_mod

    if key == "s":
        review_mod.suspend(ctx.store, card.id)
        return f"suspended card {card.id} (bring it back with `kb review suspend {card.id} --undo`)"
    if key == "b":
        until = review_mod.bury(ctx.store, card.id, now)
        return f"buried card {card.id} until {until.astimezone():%Y-%m-%d %H:%M}"
    path = _edit_card(ctx, card.id)
    return f"edited {path}"


def _edit_card(ctx: Ctx, card_id: int):
    """Open the card's note at its line in the editor, then re-read the notes."""
    from notes import editor

    card = _card_location(ctx, card_id)
    editor.open_at_line(card["path"], card["line"], (ctx.config.get("notes") or {}).get("editor") or None)
    _sync(ctx, datetime.now(timezone.utc))
    return card["path"]


def _card_location(ctx: Ctx, card_id: int) -> dict:
    from kb.errors import NotFound
    from notes.files import notes_dir

    row = ctx.store.one("SELECT note_path, line FROM cards WHERE id = ?", (card_id,))
    if row is None:
        raise NotFound(f"no card with id {card_id}", "see `kb review due` or `kb cards PAPER` for card ids")
    return {"card_id": card_id, "path": str(notes_dir(ctx.home, ctx.config) / row["note_path"]), "line": row["line"]}


@review.command("suspend")
@click.argument("card_id", type=types.ROW_ID)
@click.option("--undo", is_flag=True, help="Bring a suspended card back.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def review_suspend(ctx: Ctx, card_id: int, undo: bool, as_json: bool) -> None:
    """Take CARD_ID out of every review queue (its history stays), or bring it back with --undo."""
    from notes import review as review_mod

    changed = review_mod.suspend(ctx.store, card_id, undo=undo)
    if as_json:
        emit_json({"card_id": card_id, "suspended": not undo, "changed": changed})
    else:
        state = "unsuspended" if undo else "suspended"
        click.echo(f"card {card_id} {state}" if changed else f"card {card_id} was already {state}")


@review.command("bury")
@click.argument("card_id", type=types.ROW_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def review_bury(ctx: Ctx, card_id: int, as_json: bool, now_text: str | None) -> None:
    """Hide CARD_ID until tomorrow."""
    from notes import clock, review as review_mod

    until = review_mod.bury(ctx.store, card_id, _now(now_text))
    if as_json:
        emit_json({"card_id": card_id, "buried_until": clock.to_iso(until)})
    else:
        click.echo(f"card {card_id} buried until {until.astimezone():%Y-%m-%d %H:%M}")


@review.command("edit")
@click.argument("card_id", type=types.ROW_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the note's path and the card's line as JSON; do not open it.")
@pass_ctx
def review_edit(ctx: Ctx, card_id: int, as_json: bool) -> None:
    """Open CARD_ID's note in your editor at the card's line."""
    if as_json:
        emit_json(_card_location(ctx, card_id))
        return
    click.echo(f"edited {_edit_card(ctx, card_id)}")


@review.command("preview")
@click.argument("card_id", type=types.ROW_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
@pass_ctx
def review_preview(ctx: Ctx, card_id: int, as_json: bool, now_text: str | None) -> None:
    """The next interval each rating (1 again, 2 hard, 3 good, 4 easy) would give CARD_ID now."""
    from notes import review as review_mod, scheduler

    intervals = review_mod.preview(ctx.store, card_id, _now(now_text), scheduler=scheduler.for_config(ctx.store, ctx.config))
    if as_json:
        emit_json({name: round(delta.total_seconds() / 86400, 6) for name, delta in intervals.items()})
    else:
        click.echo(" · ".join(f"{n} {name} {_human(delta)}" for n, (name, delta) in enumerate(intervals.items(), 1)))


def _come_back(ctx: Ctx, now: datetime) -> str:
    from notes import review as review_mod

    upcoming = review_mod.next_due(ctx.store, now)
    if upcoming is None or upcoming <= now:
        return ""
    return f"Next card due in {_human(upcoming - now)} (at {review_mod.human_time(upcoming, now)})."


def _human(delta) -> str:
    from notes.review import human_interval

    return human_interval(delta)


@click.group()
def export() -> None:
    """Export cards (Anki) or the bibliography (BibTeX, CSL-JSON) to other tools."""


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


@export.command("bibtex")
@click.option("--plan", "plan_name", help="Only this plan's papers, in plan order.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the path and the entries' citekeys).")
@pass_ctx
def export_bibtex(ctx: Ctx, plan_name: str | None, output: str | None, as_json: bool) -> None:
    """The papers as BibTeX, keyed by their citekeys (LaTeX-escaped; read back before writing)."""
    _export_bibliography(ctx, "bibtex", plan_name, output, as_json)


@export.command("csljson")
@click.option("--plan", "plan_name", help="Only this plan's papers, in plan order.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the path and the entries' citekeys).")
@pass_ctx
def export_csljson(ctx: Ctx, plan_name: str | None, output: str | None, as_json: bool) -> None:
    """The papers as CSL-JSON (Zotero, Pandoc, citeproc), keyed by their citekeys."""
    _export_bibliography(ctx, "csljson", plan_name, output, as_json)


def _export_bibliography(ctx: Ctx, fmt: str, plan_name: str | None, output: str | None, as_json: bool) -> None:
    from kb import bibliography
    from kb.atomic import write_text

    papers = bibliography.papers_for(ctx.store, plan_name)
    text = bibliography.export(papers, fmt)
    if output:
        write_text(output, text)
    if as_json:
        emit_json({"format": fmt, "path": output, "entries": [p.citekey for p in papers], **({} if output else {"text": text})})
    elif output:
        click.echo(f"wrote {len(papers)} entries to {output}")
    else:
        click.echo(text, nl=False)
