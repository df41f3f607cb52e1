"""Restore is all-or-nothing: whatever happens to the archive or the process, the live home
holds the old library or the new one, never a mix.

- A random prefix of a valid archive (as a cut download or a full disk leaves it) is refused
  and the live home is byte for byte as before; the whole archive restores the new library.
- A kill at a random point of a restore (any file written, renamed or copied, any step), then
  the next start (`finish_interrupted`, which `kb` runs first), leaves the old or the new
  library.
- A real SIGKILL of `kb restore` in a subprocess, then any `kb` command: the same.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kb import backup, papers
from kb import restore as restore_mod
from kb.errors import KbError
from kb.store import Store

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
REPO = Path(__file__).resolve().parents[2]


def make_library(home: Path, tag: str, notes: int) -> None:
    with Store.open(home) as store:
        for i in range(3):
            papers.upsert(store, title=f"{tag} paper number {i} on low-rank adaptation", year=2020 + i)
    (home / "notes").mkdir(parents=True, exist_ok=True)
    for i in range(notes):
        (home / "notes" / f"{tag}-{i:04d}.md").write_text(f"# {tag} {i}\nWhat is {tag}? :: note {i}\n", encoding="utf-8")
    (home / "config.toml").write_text(f"[review]\nnew_per_day = {10 + len(tag)}\n", encoding="utf-8")


def library(home: Path) -> tuple:
    """What the user sees as their library: papers, config and notes."""
    db = home / "kb.sqlite"
    titles: tuple = ()
    if db.exists():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            titles = tuple(r[0] for r in conn.execute("SELECT title FROM papers ORDER BY title"))
        finally:
            conn.close()
    cfg = (home / "config.toml").read_text(encoding="utf-8") if (home / "config.toml").exists() else None
    notes_dir = home / "notes"
    notes = tuple(sorted((p.name, p.read_text(encoding="utf-8")) for p in notes_dir.glob("*.md"))) if notes_dir.exists() else ()
    return titles, cfg, notes


def tree(home: Path) -> dict:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.fixture
def old_and_new(tmp_path):
    """A template of the live home (library "old") and an archive of another library ("new")."""
    new_home = tmp_path / "new"
    make_library(new_home, "new", 40)
    archive = backup.create(new_home, tmp_path / "new.tar.gz").path
    template = tmp_path / "template"
    make_library(template, "old", 25)
    new = library(new_home)
    old = library(template)
    assert old != new
    return template, archive, old, new


def fresh_home(template: Path, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(dir=root)) / "home"
    shutil.copytree(template, home)
    return home


@SETTINGS
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_a_prefix_of_an_archive_restores_all_or_nothing(old_and_new, tmp_path, fraction):
    template, archive, old, new = old_and_new
    data = archive.read_bytes()
    cut = int(len(data) * fraction)
    prefix = tmp_path / "prefixes" / f"cut-{cut}.tar.gz"
    prefix.parent.mkdir(exist_ok=True)
    prefix.write_bytes(data[:cut])
    home = fresh_home(template, tmp_path / "homes")
    before = tree(home)
    try:
        backup.restore(home, prefix, force=True)
    except KbError as exc:
        assert exc.exit_code == 2, exc
        assert tree(home) == before  # byte for byte, nothing staged left behind
        return
    assert cut == len(data), "a cut archive was restored"
    assert library(home) == new


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (no except/finally cleanup in the restore)."""


@pytest.fixture
def kill_after(monkeypatch):
    """Kill the restore at its n-th filesystem mutation or step (rename, copy, extract, journal)."""
    state = {"left": None, "seen": 0}

    def tick():
        state["seen"] += 1
        if state["left"] is not None:
            state["left"] -= 1
            if state["left"] < 0:
                raise Killed()

    def wrap(fn):
        def inner(*args, **kwargs):
            tick()
            return fn(*args, **kwargs)
        return inner

    monkeypatch.setattr(restore_mod, "_checkpoint", lambda step: tick())
    monkeypatch.setattr(os, "replace", wrap(os.replace))
    monkeypatch.setattr(shutil, "copy2", wrap(shutil.copy2))
    monkeypatch.setattr(shutil, "copyfile", wrap(shutil.copyfile))

    def arm(n: int | None) -> dict:
        state["left"], state["seen"] = n, 0
        return state

    return arm


def test_the_kill_points_cover_the_whole_restore(old_and_new, tmp_path, kill_after):
    template, archive, old, new = old_and_new
    home = fresh_home(template, tmp_path / "homes")
    state = kill_after(None)
    backup.restore(home, archive, force=True)
    assert library(home) == new
    assert state["seen"] > 40  # every note extracted, every rename: the property test draws among these


@SETTINGS
@given(point=st.integers(min_value=0, max_value=400))
def test_a_kill_at_any_point_leaves_the_old_or_the_new_library(old_and_new, tmp_path, kill_after, point):
    template, archive, old, new = old_and_new
    home = fresh_home(template, tmp_path / "homes")
    kill_after(point)
    try:
        backup.restore(home, archive, force=True)
        killed = False
    except Killed:
        killed = True
    kill_after(None)
    restore_mod.finish_interrupted(home)  # the next start
    assert library(home) in (old, new), f"a mix after a kill at point {point}"
    assert not (home / restore_mod.JOURNAL).exists() and not (home / restore_mod.STAGING).exists()
    if not killed:
        assert library(home) == new


def test_sigkill_of_kb_restore_then_the_next_command_sees_old_or_new(tmp_path):
    """The real thing: `kb restore` killed with SIGKILL at several moments, then `kb papers`."""
    new_home = tmp_path / "new"
    make_library(new_home, "new", 400)
    archive = backup.create(new_home, tmp_path / "new.tar.gz").path
    template = tmp_path / "template"
    make_library(template, "old", 300)
    old, new = library(template), library(new_home)
    def start(home: Path):
        env = dict(os.environ, KB_HOME=str(home), PYTHONPATH=str(REPO))
        return env, subprocess.Popen([sys.executable, "-m", "kb", "restore", "--force", str(archive)], env=env, cwd=str(REPO),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    began = time.monotonic()
    start(fresh_home(template, tmp_path / "homes"))[1].wait()
    whole = time.monotonic() - began  # kill at fractions of a whole run, so the kills land inside it
    outcomes = set()
    for fraction in (0.6, 0.85, 0.97):
        home = fresh_home(template, tmp_path / "homes")
        env, proc = start(home)
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = subprocess.run([sys.executable, "-m", "kb", "papers", "--json"], env=env, cwd=str(REPO), capture_output=True, text=True)
        assert after.returncode == 0, after.stderr
        seen = library(home)
        assert seen in (old, new), f"a mix after SIGKILL at {fraction:.0%} of a restore"
        outcomes.add("old" if seen == old else "new")
    assert outcomes  # at least one run; usually both outcomes occur


def test_a_kill_at_each_rename_of_the_switch_then_recovery_gives_old_or_new(old_and_new, tmp_path, monkeypatch):
    """Every rename of the switch, deterministically (the property test above rarely lands on
    them among hundreds of extraction writes). A replay that redid the first renames moved the
    restored database and config aside: no database, no config, the new notes."""
    template, archive, old, new = old_and_new
    outcomes = []
    for k in range(12):
        home = fresh_home(template, tmp_path / "homes")
        seen = {"renames": 0}

        def checkpoint(step: str, k=k, seen=seen) -> None:
            if step == "rename":
                if seen["renames"] == k:
                    raise Killed()
                seen["renames"] += 1

        monkeypatch.setattr(restore_mod, "_checkpoint", checkpoint)
        try:
            backup.restore(home, archive, force=True)
        except Killed:
            pass
        monkeypatch.setattr(restore_mod, "_checkpoint", lambda step: None)
        restore_mod.finish_interrupted(home)  # the next start
        state = library(home)
        assert state in (old, new), f"a mix after a kill before rename {k}"
        outcomes.append("old" if state == old else "new")
        if seen["renames"] < k:  # the restore finished before the k-th rename: no more to try
            break
    assert "new" in outcomes and len(outcomes) >= 4, outcomes
