"""`kb backup` and `kb restore`."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.context import Ctx, pass_ctx
from kb.cli.output import emit_json, warn


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Archive path (default: <home>/backups/kb-backup-<time>.tar.gz).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def backup(ctx: Ctx, output: str | None, as_json: bool) -> None:
    """Write a consistent backup archive (database, notes, config; not the rebuildable indexes, not credentials)."""
    from kb import backup as backup_mod

    report = backup_mod.create(ctx.home, Path(output) if output else None)
    if as_json:
        emit_json({"path": str(report.path), "papers": report.papers, "notes": report.notes,
                   "schema_version": report.schema_version, "bytes": report.bytes,
                   "linked_notes": report.linked_notes, "skipped_notes": report.skipped_notes})
        return
    if report.linked_notes:
        click.echo(f"{len(report.linked_notes)} note(s) are symbolic links ({', '.join(report.linked_notes[:3])}"
                   f"{', …' if len(report.linked_notes) > 3 else ''}): their text was backed up; a restore writes them as plain files")
    for name in report.skipped_notes:
        warn(f"note {name} is a symbolic link to nothing: not backed up")
    click.echo(f"backed up {report.papers} papers and {report.notes} notes to {report.path} ({report.bytes // 1024} KiB)")


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing library (its files are kept in before-restore-*).")
@click.option("--trust-config", is_flag=True,
              help="Also take the archive's settings that point outside the data home or name a program or server.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def restore(ctx: Ctx, archive: str, force: bool, trust_config: bool, as_json: bool) -> None:
    """Restore a backup archive made by `kb backup`: all of it or, on any problem, nothing."""
    from kb import backup as backup_mod

    ctx.close()
    result = backup_mod.restore(ctx.home, Path(archive), force=force, trust_config=trust_config, notify=warn)
    if as_json:
        emit_json(result)
        return
    click.echo(f"restored {result['papers']} papers and {result['notes']} notes from {archive}")
    if result["previous_files"]:
        click.echo(f"the files it replaced are in {result['previous_files']}")
    from kb import config, paths
    from kb.zotero import credentials

    if config.read_toml(paths.config_path(ctx.home)).get("zotero", {}).get("source") == "web" and not credentials.has_api_key(ctx.home):
        click.echo("no Zotero key on this machine (backups leave credentials out): run `kb zotero setup` before `kb sync`")
