"""`kb index` and `kb search`."""

from __future__ import annotations

import sys

import click

from kb.cli import types
from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json, progress_enabled, truncate


@click.command()
@click.option("--paper", "paper_refs", multiple=True, metavar="PAPER", help="Only this paper (id, citekey, arXiv id, title); repeatable.")
@click.option("--rebuild", is_flag=True, help="Forget the index (of these papers) and build it again.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (failures with their reasons).")
@pass_ctx
def index(ctx: Ctx, paper_refs: tuple[str, ...], rebuild: bool, as_json: bool) -> None:
    """Extract and index the papers' full text (keyword + semantic).

    Only new or changed PDFs are read again; papers removed from the library leave the index.
    """
    from kb import papers as papers_mod
    from kb.index.pipeline import run_index

    ids = [papers_mod.resolve(ctx.store, ref).id for ref in paper_refs] or None
    bar = ProgressBar() if progress_enabled() else None
    try:
        report = run_index(ctx.store, ctx.home, ctx.config, progress=bar, papers=ids, rebuild=rebuild)
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        emit_json(report.to_dict())
        return
    click.echo(
        f"indexed {report.indexed} ({report.chunks} chunks), unchanged {report.skipped_unchanged}, "
        f"removed {report.removed}, failed {len(report.failed)} in {report.seconds:.1f} s"
    )
    for failure in report.failed:
        click.echo(f"  failed {failure.citekey}: {failure.reason}: {failure.message}")


class ProgressBar:
    """A progress bar with ETA on stderr, created once the number of PDFs to read is known."""

    def __init__(self) -> None:
        self._bar = None
        self._done = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        if total == 0:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="indexing", file=sys.stderr, show_eta=True, show_pos=True,
                                          item_show_func=lambda item: item)
            self._bar.__enter__()
        self._bar.update(done - self._done, truncate(label, 30) if label else None)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True,
              help="By meaning (dense), by exact words (lexical), or both fused.")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True, help="Papers to show.")
@click.option("--plan", help="Only papers of this plan (name or id).")
@click.option("--week", type=types.WEEK, help="Only papers of this plan week.")
@click.option("--tag", help="Only papers with this Zotero tag.")
@click.option("--status", type=click.Choice(["unread", "reading", "read", "reviewed"]), help="Only papers with this reading status.")
@click.option("--year", type=types.YEAR, help="Only papers of this year.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: paper id, title, page, section, score, snippet.")
@pass_ctx
def search(ctx: Ctx, words: tuple[str, ...], mode: str, limit: int, plan: str | None, week: int | None, tag: str | None,
           status: str | None, year: int | None, as_json: bool) -> None:
    """Search the library by meaning or by exact words (English or Chinese).

    Snippets mark the matched words «like this». Chinese terms are translated with the
    built-in glossary (知识蒸馏 → knowledge distillation) before searching the English papers.
    """
    from kb.search.filters import Filters
    from kb.search.hybrid import search as run_search

    query = " ".join(words)
    filters = Filters(plan=plan, week=week, tag=tag, status=status, year=year)
    hits = run_search(ctx.store, ctx.home, ctx.config, query, mode=mode, limit=limit, filters=filters)
    if as_json:
        emit_json([h.to_dict() for h in hits])
        return
    if not hits:
        from kb.index.pipeline import has_full_text

        if not has_full_text(ctx.store):
            click.echo("Nothing found: the full text is not indexed yet (run `kb index`).", err=True)
        else:
            click.echo("Nothing found.", err=True)
        return
    for n, hit in enumerate(hits, start=1):
        where = f"p. {hit.page}" if hit.page else hit.source
        if hit.section:
            where += f" · {truncate(hit.section, 40)}"
        more = f" (also p. {', '.join(str(p) for p in hit.pages[1:])})" if len(hit.pages) > 1 else ""
        click.echo(f"{n:>2}. {truncate(hit.title, 80)} ({hit.year or 'n.d.'}) [{hit.citekey}]")
        click.echo(f"    {where}{more} · score {hit.score:.4f}")
        click.echo(f"    {hit.snippet}")
