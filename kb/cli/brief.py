"""`kb brief`: the group-meeting brief."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json


@click.command()
@click.option("--since", default="7d", type=types.PERIOD, show_default=True, help="Period: 7d, 2w, 1m or a date (2026-11-01).")
@click.option("--paper", "paper_refs", multiple=True, help="Brief these papers instead (repeatable).")
@click.option("--plan", help="Plan for the week's progress (default: the only or first plan).")
@click.option("--week", type=types.WEEK, help="Brief the papers of this plan week.")
@click.option("--format", "fmt", type=click.Choice(["md", "pdf", "pptx", "slides", "html"]),
              help="pptx (PowerPoint), pdf, html, md, or slides (Marp) [default: from -o's name, else md].")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language of the brief (default: config brief.lang, else the plan's).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (default: <home>/briefs/brief-<date>.<ext>).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_ctx
def brief(ctx: Ctx, since: str, paper_refs: tuple[str, ...], plan: str | None, week: int | None, fmt: str | None,
          lang: str | None, output: str | None, as_json: bool) -> None:
    """Write the group-meeting brief of what you read, noted and reproduced."""
    from kb import papers
    from kb.brief.period import parse_since
    from kb.brief.writer import write_brief

    paper_ids = [papers.resolve(ctx.store, ref).id for ref in paper_refs] or None
    written = write_brief(
        ctx.store, ctx.home, ctx.config, since=parse_since(since), paper_ids=paper_ids, plan=plan, week=week,
        fmt=fmt, lang=lang, out=Path(output) if output else None,
    )
    if as_json:
        emit_json(written.to_dict())
        return
    n = len(written.brief.papers)
    click.echo(f"wrote {written.path} ({written.format}, {n} paper{'s' if n != 1 else ''}" + (f", {written.pages} pages" if written.pages else "") + ")")
    for p in written.brief.papers:
        if p.gaps:
            click.echo(f"  {p.citekey}: " + "; ".join(g.replace("_", " ") for g in p.gaps))
