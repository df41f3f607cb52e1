"""Attachment files: where a downloaded one may go, and whether what arrived is a PDF."""

from __future__ import annotations

from pathlib import Path

from kb import atomic, paths
from kb.zotero.model import KEY_RE


class UnsafeFile(ValueError):
    """A file the sync refuses: its reason is the per-item warning."""


class MissingFile(UnsafeFile):
    """The attachment's file is not there yet (Zotero syncs files on demand): fetched later."""


def safe_name(name: str | None) -> str:
    """The server-supplied file name as one plain name, or UnsafeFile if it tries to leave its folder."""
    raw = (name or "").replace("\\", "/").strip()
    parts = raw.split("/")
    if not raw or raw.startswith("/") or ".." in parts or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafeFile(f"file name {name!r} would escape the storage folder")
    base = parts[-1].strip()
    if base in ("", ".") or "\x00" in base:
        raise UnsafeFile(f"file name {name!r} is not usable")
    return base


def check_pdf(data: bytes, what: str) -> None:
    if not data:
        raise UnsafeFile(f"{what} is empty (0 bytes)")
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise UnsafeFile(f"{what} is not a PDF")


def store_download(home: Path, key: str, name: str | None, data: bytes) -> Path:
    """Write a downloaded attachment under files/zotero/<key>/ and return its path."""
    if not KEY_RE.match(key or ""):
        raise UnsafeFile(f"attachment key {key!r} is not a Zotero key")
    folder = (paths.files_dir(home) / "zotero" / key).resolve()
    target = (folder / safe_name(name)).resolve()
    if target.parent != folder:
        raise UnsafeFile(f"file name {name!r} would escape the storage folder")
    check_pdf(data, f"the file of {key}")
    atomic.write_bytes(target, data)
    return target
