"""Two processes at once: the index lock, SQLite's busy timeout, a reader (the TUI's way of
opening the store) open while other `kb` processes write."""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import REPO, assert_sound, db, kb, run, run_ok, spawn
from tests.reliability.test_crash import REVIEW_LOOP, _plan_counts, _review_setup

SEED_PLAN = "000_ac20d921330b5aa7.txt"


def _small_library(home: Path, pdfs: Path) -> None:
    from kb import papers
    from kb.store import Store
    from tests.index.pdfs import topic_pdf

    pdfs.mkdir(exist_ok=True)
    with Store.open(home) as store:
        for topic in ("quantum", "glacier"):
            paper, _ = papers.upsert(store, title=f"A study of {topic}")
            papers.add_attachment(store, paper.id, str(topic_pdf(pdfs / f"{topic}.pdf", topic)))


def test_second_index_refuses_clearly_while_one_runs(tmp_path):
    """A real `kb index` holds the lock; a second one exits 6 at once with one line, and the
    lock dies with its holder (a killed run leaves no stale lock)."""
    from kb.errors import Busy
    from kb.index.lock import index_lock

    home = tmp_path / "home"
    _small_library(home, tmp_path / "pdfs")
    first = spawn(kb("index"), home)
    lock = home / "index" / "index.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    assert first.poll() is None, "the first index finished before the second could start"
    assert lock.read_text().strip() == str(first.pid)
    started = time.perf_counter()
    second = run(kb("index"), home, timeout=120)
    assert second.returncode == 6, second.stderr
    assert "another `kb index` is running" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr and len(second.stderr.strip().splitlines()) <= 2
    assert time.perf_counter() - started < 60  # refuses, does not wait for the model
    # kill the holder: the OS drops the lock, the next run gets it
    import os
    import signal

    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    with pytest.raises(Busy):
        with index_lock(home):
            with index_lock(home):  # a second holder in the same process is refused too (a fresh open file)
                pass
    assert_sound(home)


def test_review_rate_waits_for_another_writer(tmp_path):
    """Another process holds a write transaction for 1.5 s: `kb review rate` waits (busy
    timeout) and then succeeds; nothing is lost on either side."""
    home = tmp_path / "home"
    ids = _review_setup(home, 3)
    holder = sqlite3.connect(home / "kb.sqlite", timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO status_history (paper_id, status, at) SELECT id, 'reading', '2025-01-01T00:00:00Z' FROM papers LIMIT 1")
    started = time.perf_counter()
    proc = spawn(kb("review", "rate", str(ids[0]), "good"), home)
    time.sleep(1.5)
    holder.execute("COMMIT")
    holder.close()
    proc.wait(timeout=60)
    waited = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert waited >= 1.5
    conn = db(home)
    assert conn.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (ids[0],)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM status_history WHERE at = '2025-01-01T00:00:00Z'").fetchone()[0] == 1
    conn.close()


def test_busy_beyond_the_timeout_is_one_clear_line(store):
    """When the other writer holds on past the busy timeout, the user gets the Busy message."""
    from kb import papers
    from kb.errors import StoreError

    paper, _ = papers.upsert(store, title="Attention Is All You Need", year=2017)
    other = sqlite3.connect(store.home / "kb.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        store.conn.execute("PRAGMA busy_timeout = 200")
        with pytest.raises(StoreError) as info:
            papers.set_status(store, paper.id, "reading")
        assert "busy in another kb process" in info.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    papers.set_status(store, paper.id, "reading")  # and works once the other is gone
    assert store.scalar("SELECT status FROM papers WHERE id = ?", (paper.id,)) == "reading"


def test_reader_open_while_plan_import_and_reviews_write(tmp_path, seeds_dir):
    """The TUI's connection (a screen's Store.open in a worker) stays open, mid-read, while two other processes
    write: the writers are not blocked, the reader sees a consistent snapshot, then the news."""
    from kb.store import Store

    home = tmp_path / "home"
    ids = _review_setup(home, 20)
    with Store.open(home) as reader:
        reader.conn.execute("BEGIN")  # a long read transaction, as a screen loading its rows
        before = reader.scalar("SELECT count(*) FROM plan_items"), reader.scalar("SELECT count(*) FROM review_log")
        importer = spawn(kb("plan", "import", str(seeds_dir / SEED_PLAN)), home)
        reviews = spawn([sys.executable, "-c", REVIEW_LOOP, *map(str, ids)], home)
        assert importer.wait(timeout=120) == 0, importer.stderr.read().decode()
        assert reviews.wait(timeout=120) == 0, reviews.stderr.read().decode()
        # still inside the read transaction: the snapshot has not moved
        assert (reader.scalar("SELECT count(*) FROM plan_items"), reader.scalar("SELECT count(*) FROM review_log")) == before
        reader.conn.execute("COMMIT")
        assert reader.scalar("SELECT count(*) FROM review_log") == before[1] + len(ids)
        assert reader.scalar("SELECT count(*) FROM plan_items") > before[0]
    assert_sound(home)


def test_two_plan_imports_of_one_file_at_once(tmp_path, seeds_dir):
    plan = seeds_dir / SEED_PLAN
    reference = tmp_path / "reference"
    run_ok(kb("plan", "import", str(plan)), reference)
    home = tmp_path / "home"
    run_ok(kb("papers"), home)  # create the database first so both start from the same schema
    procs = [spawn(kb("plan", "import", str(plan)), home) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    assert _plan_counts(home) == _plan_counts(reference)
    assert_sound(home)


def test_sync_and_review_session_at_once(tmp_path):
    sys.path.insert(0, str(REPO / "tests" / "zotero"))
    from fake_zotero import FakeZotero, paper_data

    server = FakeZotero(api_key="sekrit-KEY-123").start()
    try:
        for i in range(150):
            server.put_item(paper_data(f"Paper {i:03d} on low-rank adapters", arxiv=f"2402.{i:05d}"))
        home = tmp_path / "home"
        ids = _review_setup(home, 40)
        run_ok(kb("zotero", "setup", "--api-key", server.api_key, "--library-id", server.library_id, "--endpoint", server.url), home)
        sync = spawn(kb("sync"), home)
        reviews = spawn([sys.executable, "-c", REVIEW_LOOP, *map(str, ids)], home)
        assert sync.wait(timeout=180) == 0, sync.stderr.read().decode()
        assert reviews.wait(timeout=180) == 0, reviews.stderr.read().decode()
        conn = db(home)
        assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == 40
        assert conn.execute("SELECT count(*) FROM zotero_items").fetchone()[0] == 150
        conn.close()
        assert_sound(home)
    finally:
        server.stop()
