"""Reliability, the long version: hundreds of kills per command, and the time a full recovery
takes after `kb index` of N papers (default 1,000; KB_BENCH_RECOVERY_PAPERS) is killed half-way.

    python -m bench reliability        (or: python -c "from bench import bench_reliability ...")
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _crash_loops(report, kills: int) -> None:
    """The crash tests of tests/reliability with KB_RELIABILITY_KILLS raised."""
    env = dict(os.environ, KB_RELIABILITY_KILLS=str(kills))
    for name in ("plan_import", "review_session", "sync"):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                               f"tests/reliability/test_crash.py::test_kill_during_{name}"], cwd=REPO, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        match = re.search(r"\[crash\] [^:]+: (\d+) kills survived", proc.stdout)
        survived = int(match.group(1)) if match and proc.returncode == 0 else 0
        report.value(f"kills survived: {name.replace('_', ' ')}", survived, f"of {kills} ({'passed' if proc.returncode == 0 else 'FAILED'}, {seconds:.0f} s)")


def _library(home: Path, n: int) -> None:
    sys.path.insert(0, str(REPO))
    from kb import papers
    from kb.store import Store
    from tests.index.pdfs import TOPICS, text_pdf

    pdfs = home.parent / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    topics = list(TOPICS.values())
    with Store.open(home) as store, store.tx():
        for i in range(n):
            body = [f"Paper {i}. {topics[i % len(topics)]} " * 3, f"Section two of paper {i}. " + topics[(i + 1) % len(topics)] * 2]
            path = text_pdf(pdfs / f"p{i:04d}.pdf", f"Synthetic paper number {i}", body)
            paper, _ = papers.upsert(store, title=f"Synthetic paper number {i:04d} on {['quanta', 'glaciers', 'violins', 'bees'][i % 4]}")
            papers.add_attachment(store, paper.id, str(path))


def _indexed(home: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(home / "kb.sqlite")
    try:
        return conn.execute("SELECT count(*) FROM index_state WHERE status = 'indexed'").fetchone()[0]
    finally:
        conn.close()


def _recovery(report, n: int) -> None:
    import signal

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = dict(os.environ, KB_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
        t0 = time.perf_counter()
        _library(home, n)
        report.value("recovery: library built", f"{n} papers", f"{time.perf_counter() - t0:.0f} s")
        proc = subprocess.Popen([sys.executable, "-m", "kb", "index"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        t0 = time.perf_counter()
        while proc.poll() is None and _indexed(home) < n // 2:
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        before = _indexed(home)
        report.value("recovery: killed after", f"{before} of {n} indexed", f"{time.perf_counter() - t0:.0f} s into the run")
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kb", "index", "--json"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        assert done.returncode == 0, done.stderr[-2000:]
        report.add(f"full recovery after a kill during `kb index` of {n} papers", [seconds],
                   note=f"{n - before} left to index; {_indexed(home)} indexed at the end")
        conn_ok = subprocess.run([sys.executable, "-c", f"import sqlite3; print(sqlite3.connect({str(home / 'kb.sqlite')!r}).execute('PRAGMA integrity_check').fetchone()[0])"],
                                 capture_output=True, text=True).stdout.strip()
        report.value("recovery: integrity_check", conn_ok, "")


def run(report) -> None:
    kills = int(os.environ.get("KB_BENCH_KILLS", "100"))
    n = int(os.environ.get("KB_BENCH_RECOVERY_PAPERS", "1000"))
    if os.environ.get("KB_BENCH_SKIP_CRASH") != "1":
        _crash_loops(report, kills)
    _recovery(report, n)
