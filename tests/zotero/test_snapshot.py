"""Reading zotero.sqlite while Zotero writes: the real z6 database (rollback journal, like most
Zotero 5-7 data directories) with a write transaction in progress. Copying the file alone shows
the uncommitted titles; the snapshot copies the hot journal with it and SQLite rolls them back."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from kb.zotero import sqlite_reader
from kb.zotero.sqlite_reader import SqliteSource, ZoteroBusy, snapshot
from kb.zotero.sync import sync

REAL = "fixtures/zotero_real/sqlite/z6.0.4_ganeshbelgur/zotero.sqlite"
TITLES = ("SELECT v.value FROM itemData d JOIN fields f USING (fieldID) JOIN itemDataValues v USING (valueID) "
          "WHERE f.fieldName = 'title'")


@pytest.fixture
def writing(tmp_path, shared):
    """The database with Zotero half-way through a write: pages spilled to the file, journal hot."""
    db = tmp_path / "zotero.sqlite"
    shutil.copyfile(shared / REAL, db)
    zotero = sqlite3.connect(db, isolation_level=None)
    zotero.execute("PRAGMA cache_size = 2")  # a small cache spills uncommitted pages into the file, as a big write does
    zotero.execute("BEGIN")
    zotero.execute("UPDATE itemDataValues SET value = 'UNCOMMITTED ' || value")
    assert (tmp_path / "zotero.sqlite-journal").stat().st_size > 0
    yield db
    zotero.execute("ROLLBACK")
    zotero.close()


def test_naive_copy_sees_uncommitted_titles(writing):
    with tempfile.TemporaryDirectory() as tmp:
        naive = Path(tmp) / "copy.sqlite"
        shutil.copyfile(writing, naive)  # what kb did before: the file without its journal
        conn = sqlite3.connect(naive)
        try:
            titles = [r[0] for r in conn.execute(TITLES)]
        except sqlite3.DatabaseError:
            titles = ["UNCOMMITTED (the copy is corrupt)"]
        conn.close()
    assert any(t.startswith("UNCOMMITTED") for t in titles)


def test_snapshot_rolls_the_hot_journal_back(writing, store):
    with snapshot(writing) as conn:
        titles = [r[0] for r in conn.execute(TITLES)]
    assert titles and not any(t.startswith("UNCOMMITTED") for t in titles)
    report = sync(store, SqliteSource(writing), match=False, files=False)
    assert report.added > 90
    assert store.scalar("SELECT count(*) FROM papers WHERE title LIKE 'UNCOMMITTED%'") == 0


def test_zotero_writing_for_too_long_is_one_clear_error(tmp_path, shared, monkeypatch):
    db = tmp_path / "zotero.sqlite"
    shutil.copyfile(shared / REAL, db)
    ticks = itertools.count()
    monkeypatch.setattr(sqlite_reader, "_state", lambda path: next(ticks))  # the file changes under every copy
    with pytest.raises(ZoteroBusy) as err:
        sqlite_reader.copy_consistent(db, tmp_path / "copy.sqlite", timeout_s=0.3, sleep=lambda s: None)
    assert "kept writing" in err.value.message and "idle" in err.value.hint
