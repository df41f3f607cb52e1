"""`kb add FILE.pdf… | FOLDER | arXiv:ID | doi:DOI | URL`."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json, say
from kb.terminal_text import clean


@click.command("add")
@click.argument("targets", nargs=-1, required=True, type=click.Path())
@click.option("--online/--offline", "online", default=None,
              help="Look ids up on arXiv, Crossref and Semantic Scholar and fetch open-access PDFs (default: config resolve.online).")
@click.option("--no-pdf", is_flag=True, help="With --online: only the metadata, not the PDF.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run: the files and what became of them.")
@pass_ctx
def add(obj: Ctx, targets: tuple[str, ...], online: bool | None, no_pdf: bool, as_json: bool) -> int:
    """Add papers from PDF files or folders of PDFs (the files stay where they are), or by id or
    link: arXiv:2106.09685, doi:10.1145/…, an arXiv/ACM/ACL Anthology/doi.org URL, a PDF URL.

    Ids are resolved offline from the catalog; with --online (or `kb config resolve.online true`)
    from arXiv, Crossref, OpenAlex and Semantic Scholar, with the open-access PDF downloaded into
    the library's files/ folder."""
    from kb.pdf.ingest import AddResult, add_paths
    from kb.resolve import ids

    timeout = float(obj.config.get("index", {}).get("pdf_timeout_s", 60))

    def report(result) -> None:
        if as_json:
            return
        if result.ok:
            verb = "added" if result.created else "updated"
            # The title is the PDF's, the catalog's or (for a paper already here) Zotero's: escapes stripped.
            say(f"{verb} #{result.paper_id} {result.title}" + (f" (arXiv {result.arxiv_id})" if result.arxiv_id else ""))
            for warning in result.warnings:
                click.echo(f"  warning: {clean(warning)}", err=True)
        else:
            click.echo(clean(f"failed {result.path}: {result.message} [{result.reason}]"), err=True)

    paths: list[str] = []
    wanted: list[tuple[str, ids.PaperId]] = []
    for target in targets:
        pid = None if Path(target).expanduser().exists() else ids.parse(target)
        if pid is None and not Path(target).expanduser().exists() and re.match(r"(?i)^(arxiv|doi|acl|openreview):", target):
            from kb.errors import BadInput

            kind = target.split(":", 1)[0]
            raise BadInput(f"not a valid {kind} id: {target!r}", "e.g. arXiv:2106.09685, doi:10.1145/3442188.3445922, acl:2020.acl-main.703")
        if pid is None:
            paths.append(target)
        else:
            wanted.append((target, pid))

    results: list[AddResult] = []
    if wanted:
        from kb.resolve.resolver import Resolver

        resolver = Resolver(obj.home, obj.config, online=online)
        for target, pid in wanted:
            if len(targets) == 1:
                result = _add_id(obj, resolver, target, pid, fetch_pdf=not no_pdf, timeout_s=timeout)  # errors as the one line
            else:
                from kb.errors import KbError

                try:
                    result = _add_id(obj, resolver, target, pid, fetch_pdf=not no_pdf, timeout_s=timeout)
                except KbError as exc:
                    result = AddResult(target, False, reason="resolve", message=exc.message + (f" ({exc.hint})" if exc.hint else ""))
            results.append(result)
            report(result)
    if paths:
        results += add_paths(obj.store, paths, timeout_s=timeout, on_result=report)
    failed = [r for r in results if not r.ok]
    if as_json:
        emit_json({"added": sum(r.ok and r.created for r in results), "updated": sum(r.ok and not r.created for r in results),
                   "failed": len(failed), "files": [r.to_dict() for r in results]})
    elif not results:
        click.echo("no PDF files found", err=True)
    return 1 if failed and len(failed) == len(results) else 0


def _add_id(obj: Ctx, resolver, target: str, pid, *, fetch_pdf: bool, timeout_s: float):
    """One paper by id or link: its metadata (catalog, or online), then the open-access PDF when
    the network is allowed."""
    from kb import papers, paths
    from kb.pdf.ingest import AddResult, add_pdf
    from kb.resolve.resolver import pdf_name

    meta = resolver.resolve(pid)
    warnings: list[str] = []
    paper = None
    created = False
    if meta.title:
        paper, created = papers.upsert(obj.store, source="add", **meta.paper_fields())
    if not (fetch_pdf and resolver.online and meta.pdf_url):
        if paper is None:
            from kb.errors import KbError

            raise KbError(f"{target} is a PDF link: adding it needs the network", "pass --online (or `kb config resolve.online true`)")
        if resolver.online and fetch_pdf and not meta.pdf_url:
            warnings.append("no open-access PDF is known; add the file with `kb add FILE.pdf` when you have it")
        return AddResult(target, True, paper.id, paper.title, paper.arxiv_id, created, warnings=warnings)
    dest = paths.files_dir(obj.home) / pdf_name(meta, paper.citekey if paper else Path(meta.pdf_url).stem)
    resolver.download_pdf(meta.pdf_url, dest)
    result = add_pdf(obj.store, dest, timeout_s)
    if result.ok:
        result.created = created or result.created
        result.path = target
        result.warnings = warnings + result.warnings
    elif paper is not None:
        # the metadata stands; the file is kept and attached even when its text cannot be read
        papers.add_attachment(obj.store, paper.id, str(dest))
        result = AddResult(target, True, paper.id, paper.title, paper.arxiv_id, created,
                           warnings=warnings + [f"the PDF was saved to {dest} but its text could not be read: {result.message}"])
    return result
