"""Backups: one consistent archive of what cannot be rebuilt (the database, notes, config).

The database is copied with SQLite's online backup API, so a backup taken while the TUI or a
sync is writing is still a consistent snapshot. Indexes and downloaded PDFs are left out:
`kb index` and `kb sync` rebuild them. Restoring never destroys what it replaces: the current
files are moved aside into `<home>/before-restore-<time>/` first.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
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


def notes_dir(home: Path) -> Path:
    from notes.files import notes_dir as configured_notes_dir

    return configured_notes_dir(home, config_mod.load(paths.config_path(home)))


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
        notes = sorted(p for p in notes_dir(home).rglob("*.md") if p.is_file()) if notes_dir(home).exists() else []
        manifest = {
            "format": FORMAT, "created_at": stamp, "schema_version": version, "papers": papers,
            "notes": len(notes), "notes_dir": str(notes_dir(home)),
        }
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = out.with_name(out.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
                tar.add(snapshot, arcname="kb.sqlite")
                cfg = paths.config_path(home)
                if cfg.exists():
                    tar.add(cfg, arcname="config.toml")
                base = notes_dir(home)
                for note in notes:
                    tar.add(note, arcname=str(PurePosixPath("notes", *note.relative_to(base).parts)))
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise KbError(f"could not write the backup {out}: {exc.strerror or exc}", "free some space or choose another -o") from exc
    return BackupReport(out, len(notes), version, papers, out.stat().st_size)


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


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        parts = PurePosixPath(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BadInput(f"the backup contains an unsafe entry {member.name!r}", "it was not made by kb backup; nothing was restored")
        members.append(member)
    return members


def restore(home: Path, archive: Path, *, force: bool = False) -> dict:
    archive = Path(archive)
    if not archive.is_file():
        raise BadInput(f"no backup file at {archive}")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise BadInput(f"{archive} is not a kb backup (not a readable .tar.gz)") from exc
    with tar, tempfile.TemporaryDirectory(prefix="kb-restore-") as tmp:
        members = _safe_members(tar)
        names = {m.name for m in members}
        if MANIFEST not in names or "kb.sqlite" not in names:
            raise BadInput(f"{archive} is not a kb backup (no manifest or database inside)")
        tar.extractall(tmp, members=members, filter="data")
        manifest = json.loads((Path(tmp) / MANIFEST).read_text(encoding="utf-8"))
        from kb.store import latest_version

        if manifest.get("schema_version", 0) > latest_version():
            raise StoreError("the backup was made by a newer paper-kb", "upgrade paper-kb first; nothing was restored")
        conn = sqlite3.connect(Path(tmp) / "kb.sqlite")
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        if not ok:
            raise StoreError("the database inside the backup is damaged", "nothing was restored")
        db = paths.db_path(home)
        if db.exists() and not force:
            raise KbError(f"{home} already holds a library", "pass --force to replace it (the current files are kept in before-restore-*)")
        home.mkdir(parents=True, exist_ok=True)
        aside = home / f"before-restore-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"
        moved = _move_aside(home, aside)
        shutil.copy2(Path(tmp) / "kb.sqlite", db)
        if (Path(tmp) / "config.toml").exists():
            shutil.copy2(Path(tmp) / "config.toml", paths.config_path(home))
        restored_notes = 0
        target_notes = notes_dir(home)
        for note in sorted((Path(tmp) / "notes").rglob("*.md")) if (Path(tmp) / "notes").exists() else []:
            dest = target_notes / note.relative_to(Path(tmp) / "notes")
            if dest.exists():
                keep = aside / "notes" / dest.relative_to(target_notes)
                keep.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(dest, keep)
                moved = True
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(note, dest)
            restored_notes += 1
    return {"restored": str(archive), "papers": manifest.get("papers"), "notes": restored_notes,
            "previous_files": str(aside) if moved else None}


def _move_aside(home: Path, aside: Path) -> bool:
    moved = False
    for name in ("kb.sqlite", "kb.sqlite-wal", "kb.sqlite-shm", "config.toml"):
        src = home / name
        if src.exists():
            aside.mkdir(parents=True, exist_ok=True)
            os.replace(src, aside / name)
            moved = True
    return moved
