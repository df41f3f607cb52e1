"""Restoring a backup, all-or-nothing.

1. Stage: the archive is read whole and extracted into `<home>/.restore-staging/`, and
   everything is checked there before the live library is touched: the archive is complete,
   the manifest is JSON, kb.sqlite is an SQLite database of a schema this kb knows and the
   manifest names, it passes `integrity_check` and opens (migrated) with this kb, config.toml
   passes the settings schema, and the notes are all there. Any failure: one line, exit 2, the
   staging is removed and the live home is as it was.
2. Switch: a journal (`<home>/.restore-journal.json`, written atomically) lists the renames:
   the live database, config and notes folder into `before-restore-<time>/`, then the staged
   ones into their places. Renames on one file system are atomic, so after a kill at any point
   the journal says exactly what is left to do.
3. Recover: `finish_interrupted(home)` runs at every start (kb/cli/main.py). A journal in the
   "switch" phase is rolled forward (each rename is done only if its source still exists, so
   replaying is safe); one in the "staging" phase (or staging without a journal) is undone by
   removing the staging. The live home is then the old library or the new one, never a mix.

Settings from an archive that point outside the data home or name a program, a server or a
model (notes.dir, viewer.command, zotero.endpoint, ...) are not taken unless the user passes
`--trust-config`: this machine's values are kept, and the ones held back are reported.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import tarfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

from kb import atomic, paths
from kb import config as config_mod
from kb.backup import FORMAT, MANIFEST
from kb.errors import BadInput, KbError, StoreError
from kb.values import shown

STAGING = ".restore-staging"
JOURNAL = ".restore-journal.json"
LIVE_DB_FILES = ("kb.sqlite", "kb.sqlite-wal", "kb.sqlite-shm")
NOTHING_CHANGED = "nothing was restored; the library is as it was"


def _checkpoint(step: str) -> None:
    """A point where a kill may land; the crash tests replace this to stop the restore there."""


@dataclass
class Staged:
    root: Path
    manifest: dict
    notes: int
    has_config: bool
    held_back: dict[str, object] = field(default_factory=dict)  # archive settings not taken
    warnings: list[str] = field(default_factory=list)


def restore(home: Path, archive: Path, *, force: bool = False, trust_config: bool = False,
            notify: Callable[[str], None] | None = None) -> dict:
    """Restore `archive` into `home`; `notify` hears, before the switch, what the archive's
    config.toml wanted and was not given (and unknown keys in it)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BadInput(f"no backup file at {archive}")
    finish_interrupted(home)
    if paths.db_path(home).exists() and not force:
        raise KbError(f"{home} already holds a library", "pass --force to replace it (the current files are kept in before-restore-*)")
    created_home = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    staging = home / STAGING
    journal = home / JOURNAL
    if staging.exists():
        shutil.rmtree(staging)
    live_config = _readable_config(home)
    try:
        _write_journal(journal, {"phase": "staging", "archive": str(archive), "staging": [str(staging)]})
        staged = _stage(archive, staging, home, trust_config, live_config)
        notes_target = _notes_target(home, staged, live_config)
        staged_notes = staging / "notes"
        staging_dirs = [str(staging)]
        if notes_target.parent != home:
            # The notes live outside the data home (this machine's notes.dir): stage them beside
            # that folder, so the switch is a rename on its own file system.
            beside = notes_target.parent / f".{notes_target.name}.restore-staging"
            staging_dirs.append(str(beside))
            _write_journal(journal, {"phase": "staging", "archive": str(archive), "staging": staging_dirs})
            if beside.exists():
                shutil.rmtree(beside)
            shutil.copytree(staged_notes, beside, symlinks=False)
            staged_notes = beside
        _fsync_tree(staging)
        for message in _notices(staged) if notify else ():
            notify(message)
        _checkpoint("staged")
    except BaseException as exc:
        if isinstance(exc, (Exception, KeyboardInterrupt)):  # a kill (the tests' BaseException) leaves it for recovery
            _undo_staging(home, journal)
            if created_home and home.exists() and not any(home.iterdir()):
                home.rmdir()
        raise
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    aside = home / f"before-restore-{stamp}"
    for n in range(2, 1000):  # two restores in one second must not share (and overwrite) a folder
        if not os.path.lexists(aside):
            break
        aside = home / f"before-restore-{stamp}-{n}"
    steps: list[tuple[str, str]] = []
    for name in LIVE_DB_FILES + ("config.toml",):
        if os.path.lexists(home / name):
            steps.append((str(home / name), str(aside / name)))
    if os.path.lexists(notes_target):
        keep = aside / "notes" if notes_target.parent == home else notes_target.parent / f"{notes_target.name}.{aside.name}"
        steps.append((str(notes_target), str(keep)))
    moved_aside = bool(steps)
    steps.append((str(staging / "kb.sqlite"), str(paths.db_path(home))))
    if staged.has_config:
        steps.append((str(staging / "config.toml"), str(paths.config_path(home))))
    steps.append((str(staged_notes), str(notes_target)))
    _write_journal(journal, {"phase": "switch", "archive": str(archive), "steps": steps, "staging": staging_dirs})
    _checkpoint("journal")
    _switch(journal)
    return {"restored": str(archive), "papers": staged.manifest.get("papers"), "notes": staged.notes,
            "previous_files": str(aside) if moved_aside else None, "notes_dir": str(notes_target),
            "held_back": staged.held_back, "warnings": staged.warnings,
            "linked_notes": staged.manifest.get("linked_notes") or []}


def _notices(staged: Staged) -> list[str]:
    held = [f"{key} = {shown(value)!r}" for key, value in staged.held_back.items()]
    out = list(staged.warnings)
    if held:
        out.append("the archive's settings that point outside the data home or run a program were not taken "
                   f"(this machine's are kept; pass --trust-config to take them): {'; '.join(held)}")
    return out


def finish_interrupted(home: Path) -> str | None:
    """Finish (or undo) a restore that a kill interrupted; say what was done, or None."""
    journal = home / JOURNAL
    if not journal.exists():
        if (home / STAGING).exists():
            shutil.rmtree(home / STAGING, ignore_errors=True)
            return "removed the staging of a restore that was stopped before it changed anything"
        return None
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"the restore journal {journal} is unreadable ({exc})",
                         "compare the data dir with its before-restore-* folder, then delete the journal") from exc
    if data.get("phase") == "switch":
        _switch(journal)
        return f"finished the restore of {data.get('archive')} that was interrupted"
    _undo_staging(home, journal)
    return f"undid the restore of {data.get('archive')} that was interrupted before it changed anything"


# -- staging and checking ----------------------------------------------------------------------
def _stage(archive: Path, staging: Path, home: Path, trust_config: bool, live_config: dict) -> Staged:
    name = archive.name
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"{name} is not a kb backup (not a readable .tar.gz)", NOTHING_CHANGED) from exc
    with tar:
        try:
            members = tar.getmembers()  # reads every header: a cut archive usually fails here
            while tar.fileobj.read(1 << 20):  # and the rest, to gzip's checksum: one cut in the padding too
                pass
            _check_members(name, members)
            staging.mkdir(parents=True)
            for member in members:
                tar.extract(member, staging, filter="data")
                _checkpoint("extract")
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise BadInput(f"{name} is truncated or damaged ({_why(exc)})", NOTHING_CHANGED) from exc
        except OSError as exc:
            raise KbError(f"could not unpack {name}: {exc.strerror or exc}", "free some space; " + NOTHING_CHANGED) from exc
    manifest = _read_manifest(name, staging / MANIFEST)
    _check_database(name, staging, manifest)
    notes = sorted((staging / "notes").rglob("*.md")) if (staging / "notes").exists() else []
    if isinstance(manifest.get("notes"), int) and manifest["notes"] != len(notes):
        raise BadInput(f"{name} holds {len(notes)} notes but its manifest lists {manifest['notes']}: it is incomplete", NOTHING_CHANGED)
    (staging / "notes").mkdir(exist_ok=True)
    staged = Staged(staging, manifest, len(notes), (staging / "config.toml").exists())
    if staged.has_config:
        _check_config(name, staging / "config.toml", home, trust_config, live_config, staged)
    return staged


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _check_members(name: str, members: list[tarfile.TarInfo]) -> None:
    names = set()
    for member in members:
        parts = PurePosixPath(member.name).parts
        if member.issym() or member.islnk():
            raise BadInput(f"{name} holds a link {member.name!r} instead of a file (the note's text is not in it)",
                           "it was made by an older kb backup; " + NOTHING_CHANGED)
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BadInput(f"the backup contains an unsafe entry {member.name!r}", "it was not made by kb backup; nothing was restored")
        if parts and parts[0] not in (MANIFEST, "kb.sqlite", "config.toml", "notes"):
            raise BadInput(f"{name} holds {member.name!r}, which kb backup does not write", NOTHING_CHANGED)
        names.add(member.name)
    if MANIFEST not in names or "kb.sqlite" not in names:
        raise BadInput(f"{name} is not a kb backup (no manifest or database inside)", NOTHING_CHANGED)


def _read_manifest(name: str, path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"the manifest in {name} is not valid JSON ({type(exc).__name__})", NOTHING_CHANGED) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("schema_version"), int) or isinstance(manifest.get("schema_version"), bool):
        raise BadInput(f"the manifest in {name} has no schema_version", NOTHING_CHANGED)
    if not isinstance(manifest.get("format"), int) or manifest["format"] > FORMAT:
        raise BadInput(f"{name} is in backup format {manifest.get('format')!r}, this kb reads format {FORMAT}",
                       "upgrade paper-kb first; " + NOTHING_CHANGED)
    return manifest


def _check_database(name: str, staging: Path, manifest: dict) -> None:
    from kb.store import Store, latest_version

    db = staging / "kb.sqlite"
    with db.open("rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise BadInput(f"kb.sqlite in {name} is not an SQLite database", NOTHING_CHANGED)
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"kb.sqlite in {name} is not a readable database ({exc})", NOTHING_CHANGED) from exc
    latest = latest_version()
    if version > latest or manifest["schema_version"] > latest:
        raise BadInput(f"{name} was made by a newer paper-kb (schema {max(version, manifest['schema_version'])}, this one knows {latest})",
                       "upgrade paper-kb first; " + NOTHING_CHANGED)
    if version != manifest["schema_version"]:
        raise BadInput(f"kb.sqlite in {name} is at schema {version} but its manifest says {manifest['schema_version']}: "
                       "the archive was altered", NOTHING_CHANGED)
    if not ok:
        raise BadInput(f"the database in {name} is damaged (integrity check failed)", NOTHING_CHANGED)
    try:
        Store.open(staging).close()  # upgrades an older schema here, before the switch
    except StoreError as exc:
        raise BadInput(f"kb.sqlite in {name} does not open: {exc.message}", NOTHING_CHANGED) from exc
    for extra in ("kb.sqlite-wal", "kb.sqlite-shm"):
        (staging / extra).unlink(missing_ok=True)


def _check_config(name: str, path: Path, home: Path, trust: bool, live_config: dict, staged: Staged) -> None:
    try:
        data = config_mod.read_toml(path)
        _, warnings = config_mod.validate(data, f"config.toml in {name}")
    except BadInput as exc:
        raise BadInput(exc.message.replace(f"config file {path}", f"config.toml in {name}"), NOTHING_CHANGED) from None
    staged.warnings += warnings
    if trust:
        return
    held = config_mod.settings_from_elsewhere(data, home)
    if not held:
        return
    for dotted in held:
        section, key = dotted.split(".", 1)
        staged.held_back[dotted] = data[section].pop(key)
        mine = (live_config.get(section) or {}).get(key) if isinstance(live_config.get(section), dict) else None
        if mine:
            data[section][key] = mine  # this machine's own setting stays
        if not data[section]:
            del data[section]
    import tomli_w

    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def _readable_config(home: Path) -> dict:
    """This machine's config.toml as far as it can be read: a broken one must not stop the
    restore that replaces it."""
    try:
        data = config_mod.read_toml(paths.config_path(home))
        config_mod.validate(data)
        return data
    except BadInput:
        return {}


def _notes_target(home: Path, staged: Staged, live_config: dict) -> Path:
    from notes.files import notes_dir

    if staged.has_config:
        config, _ = config_mod.validate(config_mod.read_toml(staged.root / "config.toml"))
    else:
        config, _ = config_mod.validate(live_config)
    target = notes_dir(home, config)
    return target if target.is_absolute() else Path.cwd() / target


# -- the switch and its journal ---------------------------------------------------------------------
def _write_journal(journal: Path, data: dict) -> None:
    atomic.write_text(journal, json.dumps(data, ensure_ascii=False, indent=1))


def _switch(journal: Path) -> None:
    data = json.loads(journal.read_text(encoding="utf-8"))
    for src, dst in data["steps"]:
        # Replaying after a kill must not redo a step: every destination is new when its step first
        # runs (a fresh before-restore folder, or a live path an earlier step moved aside), so one
        # that exists was done already. Without this, a replay moved the restored database aside.
        if os.path.lexists(src) and not os.path.lexists(dst):
            Path(dst).parent.mkdir(parents=True, exist_ok=True)
            _checkpoint("rename")
            os.replace(src, dst)
            _fsync_dir(Path(dst).parent)
    for folder in data.get("staging", []):
        shutil.rmtree(folder, ignore_errors=True)
    _checkpoint("cleanup")
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)


def _undo_staging(home: Path, journal: Path) -> None:
    folders = [str(home / STAGING)]
    if journal.exists():
        try:
            folders += json.loads(journal.read_text(encoding="utf-8")).get("staging", [])
        except (OSError, ValueError):
            pass
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    journal.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    """Staged files reach the disk before the journal says to switch to them."""
    if hasattr(os, "sync"):
        os.sync()  # one call, not one fsync per note (3,000 notes)
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(root)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
