"""Foundation commands: list and show papers, reading status, opening a PDF, what's on today,
settings, the TUI."""

from __future__ import annotations

import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json, say, warn


@click.command()
@click.option("--status", "status_filter", type=click.Choice(["unread", "reading", "read", "reviewed"]), help="Only papers with this status.")
@click.option("--plan", "plan_name", help="Only papers of this plan.")
@click.option("--activity", is_flag=True, help="Add each paper's first plan week, cards due and runs (the TUI's Library).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def papers(ctx: Ctx, status_filter: str | None, plan_name: str | None, activity: bool, as_json: bool) -> None:
    """List the papers in the library."""
    from kb import library

    rows = library.list_papers(ctx.store, status=status_filter, plan=plan_name)
    if activity:
        wanted = {r["id"] for r in rows}
        rows = [r for r in library.overview(ctx.store, ctx.home, ctx.config) if r["id"] in wanted]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No papers yet. Import a plan (`kb plan import FILE`), sync Zotero (`kb sync`) or try `kb demo`.")
        return
    if activity:
        echo_table([(r["id"], r["citekey"], r["status"], r["week"], r["due"], r["runs"], r["title"]) for r in rows],
                   ["id", "citekey", "status", "plan week", "due", "runs", "title"], [6, 28, 8, 20, 4, 4, 60])
        return
    echo_table(
        [(r["id"], r["citekey"], r["year"] or "", r["status"], r["arxiv_id"] or "", r["title"]) for r in rows],
        ["id", "citekey", "year", "status", "arXiv", "title"],
        [6, 28, 4, 8, 12, 70],
    )


@click.command()
@click.argument("paper")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show(ctx: Ctx, paper: str, as_json: bool) -> None:
    """Show one paper: metadata, plan entries, attachments."""
    from kb import fulltext, library, papers as papers_mod

    p = papers_mod.resolve(ctx.store, paper)
    detail = library.paper_detail(ctx.store, p.id)
    # The outline with pages (from `kb index`), as the TUI's Paper screen shows it.
    detail["outline"] = [{"title": s["title"], "level": s["level"], "page": s["start_page"]}
                         for s in fulltext.sections(ctx.store, p.id)]
    if as_json:
        emit_json(detail)
        return
    say(f"{p.title}")
    say(f"  {', '.join(p.authors) or 'unknown authors'} ({p.year or 'n.d.'}){' · ' + p.venue if p.venue else ''}")
    click.echo(f"  id {p.id} · citekey {p.citekey} · status {p.status}"
               + (f" · arXiv {p.arxiv_id}" if p.arxiv_id else "") + (f" · DOI {p.doi}" if p.doi else ""))
    for item in detail["plan_items"]:
        say(f"  plan {item['plan']}: {item['week_label'] or item['phase'] or ''} · {item['section'] or ''}")
    for att in detail["attachments"]:
        click.echo(f"  file {att['path']}")
    for section in detail["outline"]:
        say(f"  {'  ' * max(0, (section['level'] or 1) - 1)}{section['title']}  p.{section['page'] or '?'}")
    if p.abstract:
        click.echo("")
        say(click.wrap_text(p.abstract, width=96, initial_indent="  ", subsequent_indent="  "))


@click.command()
@click.argument("paper")
@click.argument("new_status", type=click.Choice(["unread", "reading", "read", "reviewed"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def status(ctx: Ctx, paper: str, new_status: str, as_json: bool) -> None:
    """Set a paper's reading status."""
    from kb import papers as papers_mod

    p = papers_mod.set_status(ctx.store, papers_mod.resolve(ctx.store, paper).id, new_status)
    if as_json:
        emit_json({"id": p.id, "citekey": p.citekey, "status": p.status, "status_at": p.status_at})
    else:
        click.echo(f"{p.citekey}: {p.status}")


@click.command("open")
@click.argument("paper")
@click.option("--page", type=types.PAGE, help="Open at this page (when the viewer command has {page}).")
@click.option("--print", "print_only", is_flag=True, help="Print the viewer command instead of running it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the argv, path and page).")
@pass_ctx
def open_cmd(ctx: Ctx, paper: str, page: int | None, print_only: bool, as_json: bool) -> None:
    """Open PAPER's PDF in your viewer (`kb config viewer.command 'zathura -P {page} {path}'`)."""
    import shlex

    from kb import papers as papers_mod, viewer

    p = papers_mod.resolve(ctx.store, paper)
    if print_only:
        argv = viewer.pdf_argv(ctx.store, ctx.config, p.id, page)
    else:
        argv = viewer.open_pdf(ctx.store, ctx.config, p.id, page)
    if as_json:
        emit_json({"paper_id": p.id, "citekey": p.citekey, "page": page, "argv": argv, "opened": not print_only})
    elif print_only:
        click.echo(shlex.join(argv))
    else:
        click.echo(f"opened {p.citekey}{f' at page {page}' if page else ''}")


@click.command()
@click.option("--next", "next_limit", type=click.IntRange(0, 100), default=5, show_default=True, help="Reading suggestions shown.")
@click.option("--runs", "runs_limit", type=click.IntRange(0, 100), default=5, show_default=True, help="Recent runs shown.")
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; for tests and demos).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def today(ctx: Ctx, next_limit: int, runs_limit: int, now_text: str | None, as_json: bool) -> None:
    """What's on today: cards due, this week's plan, what to read next, recent runs."""
    from kb import today as today_mod
    from kb.cli.notes import _now

    data = today_mod.today(ctx.store, ctx.home, ctx.config, now=_now(now_text), next_limit=next_limit, runs_limit=runs_limit)
    if as_json:
        emit_json(data)
        return
    if not data["papers"]:
        click.echo("The library is empty: try `kb demo`, or import a plan with `kb plan import FILE`.")
        return
    click.echo(f"{data['date']} · {data['papers']} papers")
    click.echo(f"cards due: {data['due']}" + (" (`kb review`)" if data["due"] else ""))
    if data["note_issues"]:
        # One line, not every problem of every note on each `kb today`: they have their command.
        warn(f"{len(data['note_issues'])} problem(s) in your notes: see `kb cards --check`")
    week = data["week"]
    click.echo("")
    if week is None:
        click.echo("This week: no plans yet (`kb plan import FILE`)")
    else:
        say(f"This week · {week['title']}")
        if week["plans"] > 1 and not week["chosen"]:
            say(f"  (the first of {week['plans']} plans: `kb plan use PLAN` follows another)")
        echo_table([("[x]" if i["done"] else "[ ]", i["status"] or "", i["kind"], i["title"] or i["text"]) for i in week["items"]],
                   ["done", "status", "kind", "item"], [4, 8, 8, 80])
    click.echo("")
    click.echo("Read next")
    if data["read_next"]:
        echo_table([(s["id"], s["title"], s["reason"]) for s in data["read_next"]], ["id", "title", "why"], [6, 50, 70])
    else:
        click.echo("  nothing unread with its prerequisites read")
    click.echo("")
    click.echo("Recent runs")
    if data["runs"]:
        echo_table([(r["name"], r["paper_title"], r["result"], r["when"]) for r in data["runs"]], ["run", "paper", "result", "when"],
                   [24, 40, 24, 16])
    else:
        click.echo("  no runs yet (`kb repro list`)")


@click.command("config", context_settings={"ignore_unknown_options": True})  # `kb config KEY -20` is a value
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def config_cmd(ctx: Ctx, key: str | None, value: str | None, as_json: bool) -> None:
    """Show all settings, one (KEY), or set one (KEY VALUE), e.g. `kb config review.desired_retention 0.85`."""
    from kb import config, paths

    path = paths.config_path(ctx.home)
    if key and value is not None:
        cfg = config.set_value(path, key, value)
        click.echo(f"{key} = {cfg[key.split('.')[0]][key.split('.', 1)[1]]!r}")
        return
    cfg = ctx.config
    if key:
        section, _, name = key.partition(".")
        if section not in cfg or (name and name not in cfg[section]):
            from kb.errors import BadInput

            raise BadInput(f"unknown setting {key!r}")
        shown = cfg[section][name] if name else cfg[section]
        emit_json(shown) if as_json else click.echo(repr(shown) if name else "\n".join(f"{k} = {v!r}" for k, v in shown.items()))
        return
    if as_json:
        emit_json({"home": str(ctx.home), "config_path": str(path), **cfg})
        return
    click.echo(f"# data dir: {ctx.home}\n# config:   {path}")
    for section, values in cfg.items():
        click.echo(f"[{section}]")
        for k, v in values.items():
            click.echo(f"{k} = {v!r}")


def open_tui(ctx: Ctx) -> None:
    from tui.main import run

    ctx.config  # a wrong config.toml is one line here, before the app starts
    ctx.close()
    code = run(ctx.home)
    if code:
        # The app has printed its one line; the shell sees the failure.
        raise SystemExit(code)


@click.command()
@pass_ctx
def tui(ctx: Ctx) -> None:
    """Open the terminal app."""
    open_tui(ctx)


@click.group("paper")
def paper_group() -> None:
    """One paper: remove it from the library."""


@paper_group.command("remove")
@click.argument("paper")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def paper_remove(ctx: Ctx, paper: str, yes: bool, as_json: bool) -> None:
    """Remove PAPER from the library (its text, index entries, graph edges, plan links). Its note
    file and cards stay where they are, with their review history."""
    from kb.cli.output import confirm
    from kb.papers import resolve
    from kb.removal import remove_paper

    found = resolve(ctx.store, paper)
    confirm(f"Remove {found.title!r} from the library? Your note on it stays", yes)
    removed = remove_paper(ctx.store, ctx.home, ctx.config, str(found.id))
    if as_json:
        emit_json(removed)
        return
    say(f"removed {removed['title']} (#{removed['id']})")
    for path in removed["notes_kept"]:
        click.echo(f"  your note stays at {path}")
