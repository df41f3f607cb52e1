"""Helpers for the reliability tests: real `kb` processes, killed with SIGKILL at a chosen moment,
and the checks every data home must pass afterwards."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kills(default: int) -> int:
    """Kill count for one command: KB_RELIABILITY_KILLS overrides (the bench uses hundreds)."""
    return int(os.environ.get("KB_RELIABILITY_KILLS", default))


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, KB_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def spawn(argv: list[str], home: Path, *, stdout=subprocess.DEVNULL, **extra_env: str) -> subprocess.Popen:
    """Start a process in its own process group (so a kill takes its children too, like a crash)."""
    return subprocess.Popen(argv, cwd=str(REPO), env=env_for(home, **extra_env), stdout=stdout, stderr=subprocess.PIPE,
                            start_new_session=True)


def kb(*args: str) -> list[str]:
    return [sys.executable, "-m", "kb", *args]


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process group after `delay` seconds; False when it had already finished."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return proc.returncode == -signal.SIGKILL


def run(argv: list[str], home: Path, timeout: float = 300, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=str(REPO), env=env_for(home, **extra_env), capture_output=True, text=True, timeout=timeout)


def run_ok(argv: list[str], home: Path, timeout: float = 300, **extra_env: str) -> subprocess.CompletedProcess:
    proc = run(argv, home, timeout, **extra_env)
    assert proc.returncode == 0, f"{' '.join(argv[2:])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def db(home: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(home / "kb.sqlite", timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def assert_sound(home: Path) -> None:
    """integrity_check ok, no dangling foreign keys, the FTS indexes agree with their tables."""
    conn = db(home)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for fts in ("chunks_fts", "search_docs_fts"):
            if fts in tables:
                conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
        # no duplicate papers by identifier
        for column in ("arxiv_id", "doi", "zotero_key"):
            cols = {r[1] for r in conn.execute("PRAGMA table_info(papers)")}
            if column in cols:
                dup = conn.execute(f"SELECT {column}, count(*) FROM papers WHERE {column} IS NOT NULL AND {column} != '' "
                                   f"GROUP BY {column} HAVING count(*) > 1").fetchall()
                assert dup == [], f"duplicate papers by {column}: {[tuple(r) for r in dup]}"
    finally:
        conn.close()


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
