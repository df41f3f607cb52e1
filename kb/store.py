"""The system of record: one SQLite database (WAL, foreign keys) with forward-only migrations.

Each area of the product adds its tables as a numbered file in kb/migrations/ (NNNN_name.sql);
`PRAGMA user_version` holds the number of the last one applied.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from kb import paths
from kb.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, sql) for every migration shipped, in order."""
    found = []
    for entry in resources.files("kb.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return found


def latest_version() -> int:
    return len(migrations())


class Store:
    """A connection to the knowledge base. Open one per thread (SQLite connections are cheap)."""

    def __init__(self, home: Path, conn: sqlite3.Connection):
        self.home = home
        self.conn = conn
        self._tx_depth = 0
        self._lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Path | str | None = None, *, migrate: bool = True) -> "Store":
        home = paths.data_home(home)
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {home}: {exc.strerror}", "set KB_HOME or --home to a writable folder") from exc
        db = paths.db_path(home)
        read_only = not os.access(home, os.W_OK)
        if read_only and not db.exists():
            raise StoreError(f"the data directory {home} is read-only and holds no database", "point KB_HOME at a writable folder")
        try:
            if read_only:
                # A WAL database cannot be opened normally where its -shm file cannot be made;
                # nobody can write to a read-only folder, so reading it as immutable is safe.
                conn = sqlite3.connect(f"{db.as_uri()}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0] if read_only else conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the database {db} is unreadable ({exc})",
                "it may be corrupt: restore it with `kb restore BACKUP` or move it aside to start afresh",
            ) from exc
        if mode.lower() != "wal":
            # A read-only folder cannot hold the WAL files; reads still work.
            pass
        store = cls(home, conn)
        latest = latest_version()
        if version > latest:
            conn.close()
            raise StoreError(
                f"the database {db} was written by a newer paper-kb (schema {version}, this one knows {latest})",
                "upgrade paper-kb; nothing was changed",
            )
        if migrate and version < latest:
            if read_only:
                conn.close()
                raise StoreError(f"the data directory {home} is read-only and its database needs an upgrade", "point KB_HOME at a writable folder")
            store._migrate(version)
        return store

    def _migrate(self, current: int) -> None:
        for number, name, sql in migrations():
            if number <= current:
                continue
            try:
                self.conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {number};\nCOMMIT;")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise StoreError(f"could not upgrade the database with {name}: {exc}", "nothing was changed") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- queries ---------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        with self._lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield self.conn
                finally:
                    self._tx_depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _friendly(exc) from exc
            self._tx_depth = 1
            try:
                yield self.conn
            except BaseException:
                self._tx_depth = 0
                if self.conn.in_transaction:  # SQLite rolls back by itself on some errors (a full disk)
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self._tx_depth = 0
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise _friendly(exc) from exc

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise _friendly(exc) from exc

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        try:
            return self.conn.executemany(sql, rows)
        except sqlite3.OperationalError as exc:
            raise _friendly(exc) from exc

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def integrity_ok(self) -> bool:
        return self.scalar("PRAGMA integrity_check") == "ok"


def _friendly(exc: sqlite3.OperationalError) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError("the database is busy in another kb process", "wait for it to finish and try again")
    if "readonly" in text or "read-only" in text:
        return StoreError("the data directory is read-only", "point KB_HOME at a writable folder")
    if "disk is full" in text or "full" in text:
        return StoreError("the disk is full; nothing was written", "free some space and run the command again")
    return StoreError(f"database error: {text}")
