"""`kb backup` and `kb restore`."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Archive path (default: <home>/backups/kb-backup-<time>.tar.gz).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def backup(ctx: Ctx, output: str | None, as_json: bool) -> None:
    """Write a consistent backup archive (database, notes, config; not the rebuildable indexes)."""
    from kb import backup as backup_mod

    report = backup_mod.create(ctx.home, Path(output) if output else None)
    if as_json:
        emit_json({"path": str(report.path), "papers": report.papers, "notes": report.notes,
                   "schema_version": report.schema_version, "bytes": report.bytes})
    else:
        click.echo(f"backed up {report.papers} papers and {report.notes} notes to {report.path} ({report.bytes // 1024} KiB)")


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing library (its files are kept in before-restore-*).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def restore(ctx: Ctx, archive: str, force: bool, as_json: bool) -> None:
    """Restore a backup archive made by `kb backup`."""
    from kb import backup as backup_mod

    ctx.close()
    result = backup_mod.restore(ctx.home, Path(archive), force=force)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"restored {result['papers']} papers and {result['notes']} notes from {archive}")
        if result["previous_files"]:
            click.echo(f"the files it replaced are in {result['previous_files']}")
