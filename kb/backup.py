"""Backups: one consistent archive of what cannot be rebuilt (the database, notes, config).

The database is copied with SQLite's online backup API, so a backup taken while the TUI or a
sync is writing is still a consistent snapshot. Indexes and downloaded PDFs are left out:
`kb index` and `kb sync` rebuild them; so are credentials (the Zotero key stays on the machine
it was entered on). A note that is a symbolic link is stored as its content (the manifest
lists it under `linked_notes`), so every archive kb writes restores. Restoring is in
kb/restore.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from kb import config as config_mod
from kb import paths
from kb.errors import BadInput, KbError, StoreError

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass
class BackupReport:
    path: Path
    notes: int
    schema_version: int
    papers: int
    bytes: int
    linked_notes: list[str] = field(default_factory=list)  # symbolic links: their content was stored
    skipped_notes: list[str] = field(default_factory=list)  # links to nothing: no content to store


def notes_dir(home: Path) -> Path:
    """Where the notes are; a config.toml with a wrong setting elsewhere must not stop a backup
    (it is backed up as it is), so notes.dir is read from it as written if it fails the check."""
    from notes.files import notes_dir as configured_notes_dir

    try:
        config = config_mod.load(paths.config_path(home))
    except BadInput:
        try:
            raw = (config_mod.read_toml(paths.config_path(home)).get("notes") or {}).get("dir")
        except (BadInput, AttributeError):
            raw = None
        config = {"notes": {"dir": raw if isinstance(raw, str) else ""}}
    return configured_notes_dir(home, config)


def create(home: Path, out: Path | None = None) -> BackupReport:
    db = paths.db_path(home)
    if not db.exists():
        raise KbError(f"there is nothing to back up in {home}", "check --home / KB_HOME")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out = Path(out) if out else home / "backups" / f"kb-backup-{stamp}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kb-backup-") as tmp:
        snapshot = Path(tmp) / "kb.sqlite"
        _snapshot_db(db, snapshot)
        conn = sqlite3.connect(snapshot)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        finally:
            conn.close()
        base = notes_dir(home)
        found = sorted(base.rglob("*.md")) if base.exists() else []
        notes = [p for p in found if p.is_file()]
        linked = [_rel(p, base) for p in notes if p.is_symlink()]
        skipped = [_rel(p, base) for p in found if not p.is_file() and p.is_symlink()]
        manifest = {
            "format": FORMAT, "created_at": stamp, "schema_version": version, "papers": papers,
            "notes": len(notes), "notes_dir": str(base), "linked_notes": linked,
        }
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = out.with_name(out.name + ".partial")
        try:
            # dereference: a symlinked note is stored as the text it points to, not as a link
            with tarfile.open(partial, "w:gz", dereference=True) as tar:
                tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
                tar.add(snapshot, arcname="kb.sqlite")
                cfg = paths.config_path(home)
                if cfg.exists():
                    tar.add(cfg, arcname="config.toml")
                for note in notes:
                    tar.add(note, arcname=str(PurePosixPath("notes", *note.relative_to(base).parts)), recursive=False)
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise KbError(f"could not write the backup {out}: {exc.strerror or exc}", "free some space or choose another -o") from exc
    return BackupReport(out, len(notes), version, papers, out.stat().st_size, linked, skipped)


def _rel(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()


def _snapshot_db(src: Path, dst: Path) -> None:
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(dst)
        with target:
            source.backup(target)
        source.close()
        target.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"could not read the database for a backup: {exc}", "run `kb --debug ...` to see more") from exc


def restore(home: Path, archive: Path, *, force: bool = False, trust_config: bool = False, notify=None) -> dict:
    """Restore an archive all-or-nothing (see kb/restore.py)."""
    from kb import restore as restore_mod

    return restore_mod.restore(home, archive, force=force, trust_config=trust_config, notify=notify)
