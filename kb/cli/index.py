"""`kb index` and `kb search`."""

from __future__ import annotations

from typing import Any

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
    with progress_bar() as bar:
        report = run_index(ctx.store, ctx.home, ctx.config, progress=bar, papers=ids, rebuild=rebuild)
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
    """Index progress on stderr (rich): a spinner with elapsed time for each step without counts
    (loading the model, reading the library), and a bar with counts and ETA over the PDFs.
    Labels are user data (citekeys): never read as markup."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(bar_width=20), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[label]}", markup=False),
            console=Console(stderr=True), transient=False, refresh_per_second=8,
        )
        self._progress.start()
        self._step: Any = None
        self._pdfs: Any = None
        self._pdfs_running = False

    def phase(self, label: str) -> None:
        if self._pdfs_running:
            # A step beside the PDFs (the first run's model export, while they are read): named
            # on their bar, not as a line below it that would look as if it came after them.
            self._progress.update(self._pdfs, label=truncate(label, 30))
            return
        self._end_step()
        self._step = self._progress.add_task(label, total=None, label="")

    def __call__(self, done: int, total: int, label: str) -> None:
        if total == 0:
            return
        if self._pdfs is None:
            self._end_step()
            self._pdfs = self._progress.add_task("indexing PDFs", total=total, label="")
        self._pdfs_running = done < total
        self._progress.update(self._pdfs, completed=done, label=truncate(label, 30) if label else "")

    def _end_step(self) -> None:
        if self._step is not None:
            self._progress.update(self._step, total=1, completed=1)
            self._step = None

    def close(self) -> None:
        self._end_step()
        self._progress.stop()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        # Stopped before anything is printed after it: a bar left running draws its last line
        # under (or beside) the command's summary.
        self.close()


def progress_bar() -> Any:
    """A ProgressBar on a terminal, else a context that gives None (no progress)."""
    from contextlib import nullcontext

    return ProgressBar() if progress_enabled() else nullcontext()


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
@click.option("--no-server", is_flag=True, help="Search in this process, without the warm query server.")
@pass_ctx
def search(ctx: Ctx, words: tuple[str, ...], mode: str, limit: int, plan: str | None, week: int | None, tag: str | None,
           status: str | None, year: int | None, as_json: bool, no_server: bool) -> None:
    """Search the library by meaning or by exact words (English or Chinese).

    Snippets mark the matched words «like this». Chinese terms are translated with the
    built-in glossary (知识蒸馏 → knowledge distillation) before searching the English papers.
    """
    from kb.search.filters import Filters
    from kb.search.hybrid import search as run_search

    query = " ".join(words)
    filters = Filters(plan=plan, week=week, tag=tag, status=status, year=year)
    hits = _server_search(ctx, query, mode, limit, filters, no_server)
    if hits is None:
        with _model_load_notice(ctx, mode):
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


def _model_load_notice(ctx: Ctx, mode: str) -> Any:
    """A spinner on stderr while a search must load sentence-transformers (no ONNX export in the
    data home yet: seconds, once); nothing otherwise."""
    from contextlib import nullcontext

    if mode == "lexical" or not progress_enabled():
        return nullcontext()
    from kb.index import onnx_model

    model = ctx.config.get("index", {}).get("model") or "all-MiniLM-L6-v2"
    graph = onnx_model.graph_path(ctx.home, model)
    if graph is not None and graph.is_file():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status("loading the embedding model (once; later searches skip this)…")


def _server_search(ctx: Ctx, query: str, mode: str, limit: int, filters: Any, no_server: bool) -> Any:
    """Hits from the home's warm query server (kb.search.server), or None to search here.

    Lexical searches need neither the model nor Chroma: they stay in-process. With the server
    turned off (`index.query_server = false`) one still running is stopped.
    """
    from kb.search import server

    enabled = bool(ctx.config.get("index", {}).get("query_server", True))
    if not enabled:
        server.stop(ctx.home)
        return None
    if no_server or mode == "lexical" or ctx.config.get("index", {}).get("chroma_url"):
        return None
    from kb.search.query import parse

    parse(query)  # an empty query is bad input here, without starting a server for it
    dicts = server.search(ctx.home, ctx.config, query, mode=mode, limit=limit, filters=filters)
    if dicts is None:
        return None
    from kb.search.hybrid import Hit

    return [Hit(**d) for d in dicts]
