"""Foundation commands: list and show papers, reading status, settings, the TUI."""

from __future__ import annotations

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import echo_table, emit_json


@click.command()
@click.option("--status", "status_filter", type=click.Choice(["unread", "reading", "read", "reviewed"]), help="Only papers with this status.")
@click.option("--plan", "plan_name", help="Only papers of this plan.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def papers(ctx: Ctx, status_filter: str | None, plan_name: str | None, as_json: bool) -> None:
    """List the papers in the library."""
    from kb import library

    rows = library.list_papers(ctx.store, status=status_filter, plan=plan_name)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No papers yet. Import a plan (`kb plan import FILE`), sync Zotero (`kb sync`) or try `kb demo`.")
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
    from kb import library, papers as papers_mod

    p = papers_mod.resolve(ctx.store, paper)
    detail = library.paper_detail(ctx.store, p.id)
    if as_json:
        emit_json(detail)
        return
    click.echo(f"{p.title}")
    click.echo(f"  {', '.join(p.authors) or 'unknown authors'} ({p.year or 'n.d.'}){' · ' + p.venue if p.venue else ''}")
    click.echo(f"  id {p.id} · citekey {p.citekey} · status {p.status}"
               + (f" · arXiv {p.arxiv_id}" if p.arxiv_id else "") + (f" · DOI {p.doi}" if p.doi else ""))
    for item in detail["plan_items"]:
        click.echo(f"  plan {item['plan']}: {item['week_label'] or item['phase'] or ''} · {item['section'] or ''}")
    for att in detail["attachments"]:
        click.echo(f"  file {att['path']}")
    if p.abstract:
        click.echo("")
        click.echo(click.wrap_text(p.abstract, width=96, initial_indent="  ", subsequent_indent="  "))


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


@click.command("config")
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
    cfg = config.load(path)
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

    ctx.close()
    run(ctx.home)


@click.command()
@pass_ctx
def tui(ctx: Ctx) -> None:
    """Open the terminal app."""
    open_tui(ctx)
