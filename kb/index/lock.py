"""One `kb index` at a time per data home: a second run refuses at once with kb.errors.Busy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb import paths
from kb.errors import Busy


@contextmanager
def index_lock(home: Path) -> Iterator[None]:
    """An exclusive advisory lock on <home>/index/index.lock, released however the run ends.

    The operating system drops the lock when the process dies, so a killed run never leaves
    a stale lock behind.
    """
    import fcntl

    folder = paths.index_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise Busy(f"another `kb index` is running (pid {holder}) on {home}", "wait for it to finish, then run `kb index` again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
