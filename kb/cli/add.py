"""`kb add FILE.pdf… | FOLDER`."""

from __future__ import annotations

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json


@click.command("add")
@click.argument("targets", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run: the files and what became of them.")
@pass_ctx
def add(obj: Ctx, targets: tuple[str, ...], as_json: bool) -> int:
    """Add papers from PDF files or folders of PDFs (the files stay where they are)."""
    from kb.pdf.ingest import add_paths

    timeout = float(obj.config.get("index", {}).get("pdf_timeout_s", 60))

    def report(result) -> None:
        if as_json:
            return
        if result.ok:
            verb = "added" if result.created else "updated"
            click.echo(f"{verb} #{result.paper_id} {result.title}" + (f" (arXiv {result.arxiv_id})" if result.arxiv_id else ""))
            for warning in result.warnings:
                click.echo(f"  warning: {warning}", err=True)
        else:
            click.echo(f"failed {result.path}: {result.message} [{result.reason}]", err=True)

    results = add_paths(obj.store, list(targets), timeout_s=timeout, on_result=report)
    failed = [r for r in results if not r.ok]
    if as_json:
        emit_json({"added": sum(r.ok and r.created for r in results), "updated": sum(r.ok and not r.created for r in results),
                   "failed": len(failed), "files": [r.to_dict() for r in results]})
    elif not results:
        click.echo("no PDF files found", err=True)
    return 1 if failed and len(failed) == len(results) else 0
