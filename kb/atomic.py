"""Atomic file writes: write to a temporary file beside the target, fsync, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kb.errors import KbError


def write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KbError(f"cannot write {path}: {exc.strerror or exc}", "check the folder exists and is writable") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise KbError(f"cannot write {path}: {exc.strerror or exc}", "nothing was changed; free some space or fix permissions") from exc


def write_text(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), mode=mode)
