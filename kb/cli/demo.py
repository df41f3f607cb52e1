"""`kb demo`: build the demo library (generated papers, a bilingual plan, a few notes)."""

from __future__ import annotations

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json


@click.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the library already has papers.")
@click.option("--force", is_flag=True, help="Regenerate the demo PDFs (notes you edited are never touched).")
@click.option("--index", "then_index", is_flag=True, help="Then index the demo PDFs, so search works at once.")
@click.option("--remove", is_flag=True, help="Remove the demo library instead (its plan, papers and PDFs; notes stay).")
@click.option("--yes", is_flag=True, help="With --remove: do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def demo(ctx: Ctx, if_empty: bool, force: bool, then_index: bool, remove: bool, yes: bool, as_json: bool) -> None:
    """Build the demo library: a dozen generated papers, a bilingual plan and a few notes."""
    if remove:
        _remove(ctx, yes, as_json)
        return
    existing = ctx.store.scalar("SELECT COUNT(*) FROM papers")
    zotero = ctx.config.get("zotero", {}).get("source")
    if if_empty and (existing or zotero):
        # Your own library (or a Zotero one about to sync into it) is never mixed with the demo.
        reason = "library not empty" if existing else "Zotero is configured"
        if as_json:
            emit_json({"skipped": True, "reason": reason, "papers": existing})
        elif existing:
            click.echo(f"The library already has {existing} papers; nothing to do (drop --if-empty to add the demo).")
        else:
            click.echo("Zotero is configured: run `kb sync` to fill the library (drop --if-empty to add the demo anyway).")
        return
    from kb.demo import build

    result = build(ctx.store, ctx.home, force=force, config=ctx.config)
    indexed = _index(ctx, quiet=as_json) if then_index else None
    if as_json:
        emit_json({"skipped": False, **result.to_dict(), **({"index": indexed.to_dict()} if indexed else {})})
        return
    if not result.changed:
        click.echo(f"The demo library is already complete ({len(result.papers)} papers, plan {result.plan!r}).")
        return
    click.echo(
        f"Demo library ready in {result.seconds:.1f} s: {len(result.papers_created)} new of {len(result.papers)} papers, "
        f"{len(result.pdfs_written)} PDFs written, plan {result.plan!r}, {len(result.notes_written)} notes."
    )
    if result.pdfs:
        click.echo(f"  PDFs:  {result.pdfs[0].parent}")
    if result.notes_written:
        click.echo(f"  notes: {result.notes_written[0].parent}")
    if indexed:
        click.echo(f"  index: {indexed.indexed} PDFs, {indexed.chunks} chunks in {indexed.seconds:.0f} s")
        click.echo("Next: `kb search \"low-rank adaptation\"`, `kb plan show demo`, `kb papers`, or just `kb`.")
    else:
        click.echo("Next: `kb plan show demo`, `kb papers`, `kb index` then `kb search \"low-rank adaptation\"`, or just `kb`.")


def _index(ctx: Ctx, quiet: bool):
    """The demo's PDFs into the full-text index (the first run loads the embedding model)."""
    from kb.cli.index import progress_bar
    from kb.index.pipeline import run_index

    if quiet:
        return run_index(ctx.store, ctx.home, ctx.config)
    click.echo("Indexing the demo papers (the first run loads the embedding model)…", err=True)
    with progress_bar() as bar:
        return run_index(ctx.store, ctx.home, ctx.config, progress=bar)


def _remove(ctx: Ctx, yes: bool, as_json: bool) -> None:
    from kb.cli.output import confirm
    from kb.removal import remove_demo

    confirm("Remove the demo library (the demo plan, its generated papers and PDFs)? The notes stay", yes)
    removed = remove_demo(ctx.store, ctx.home, ctx.config)
    if as_json:
        emit_json(removed)
        return
    if not removed["plan_removed"] and not removed["papers_removed"]:
        click.echo("there is no demo library here; nothing removed")
        return
    click.echo(f"removed the demo library: {'the demo plan, ' if removed['plan_removed'] else ''}{removed['papers_removed']} papers, "
               f"the PDFs in {removed['pdfs_removed']}")
    if removed["notes_kept"]:
        click.echo(f"  {len(removed['notes_kept'])} notes stay in {removed['notes_kept'][0].rsplit('/', 1)[0]} (delete them yourself if you wish)")
