"""Reading a plan file: size, binary and encoding checks, with a clear message for each refusal.

Plans come as UTF-8 mostly, but Chinese plans saved by Windows tools are often GBK (read here
as GB18030, its superset); UTF-16 with a byte-order mark and Windows-1252 English also occur.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kb.errors import BadInput

MAX_BYTES = 2 * 1024 * 1024  # a reading plan is a few KB; anything past 2 MB is not one

_MAGIC = [
    (b"%PDF", "a PDF", "export the plan as Markdown or plain text first"),
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx or similar)", "save the plan as Markdown (.md) or plain text first"),
    (b"\xd0\xcf\x11\xe0", "an old Office document", "save the plan as Markdown (.md) or plain text first"),
    (b"\x89PNG", "a PNG image", "a plan must be text"),
    (b"\xff\xd8\xff", "a JPEG image", "a plan must be text"),
    (b"GIF8", "a GIF image", "a plan must be text"),
    (b"SQLite format 3", "an SQLite database", "a plan must be text"),
    (b"\x1f\x8b", "a gzip archive", "unpack it first"),
    (b"\x7fELF", "a program", "a plan must be text"),
]


@dataclass
class Decoded:
    text: str
    encoding: str
    note: str | None = None  # said to the user when the encoding was not UTF-8


def read_plan_file(path: str | Path) -> Decoded:
    path = Path(path)
    if not path.exists():
        raise BadInput(f"no such file: {path}")
    if path.is_dir():
        raise BadInput(f"{path} is a folder, not a plan file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BadInput(
                f"{path.name} is {size / 1024 / 1024:.1f} MB, too large for a reading plan (the limit is {MAX_BYTES // 1024 // 1024} MB)",
                "split it, or check that it is the right file",
            )
        data = path.read_bytes()
    except PermissionError as exc:
        raise BadInput(f"cannot read {path}: permission denied") from exc
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_bytes(data, name=path.name)


def decode_bytes(data: bytes, name: str = "the plan") -> Decoded:
    if len(data) > MAX_BYTES:
        raise BadInput(
            f"{name} is {len(data) / 1024 / 1024:.1f} MB, too large for a reading plan (the limit is {MAX_BYTES // 1024 // 1024} MB)",
            "split it, or check that it is the right file",
        )
    if not data.strip():
        raise BadInput(f"{name} is empty", "write the plan first: headings for months/weeks, papers in a list")
    for magic, what, hint in _MAGIC:
        if data.startswith(magic):
            raise BadInput(f"{name} is {what}, not a text plan", hint)
    # byte-order marks
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data[3:].decode("utf-8", errors="strict") if _try(data[3:], "utf-8") else _undecodable(name), "utf-8-sig", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked(data.decode("utf-16"), "utf-16", name, note=f"{name} is UTF-16; read it as such")
        except UnicodeDecodeError:
            _undecodable(name)
    if b"\x00" in data[:8192]:
        # UTF-16 without a BOM shows as every other byte zero in ASCII text
        even, odd = data[0:4096:2], data[1:4096:2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * max(1, len(even)):
            try:
                return _checked(data.decode("utf-16-le"), "utf-16-le", name, note=f"{name} is UTF-16; read it as such")
            except UnicodeDecodeError:
                pass
        raise BadInput(f"{name} looks like a binary file, not a text plan", "a plan is Markdown or plain text")
    if _try(data, "utf-8"):
        return _checked(data.decode("utf-8"), "utf-8", name)
    # GBK / GB18030: accept only when the result is mostly Chinese (a Latin-1 file would decode too, as nonsense)
    if _try(data, "gb18030"):
        text = data.decode("gb18030")
        if _mostly_cjk(text):
            return _checked(text, "gb18030", name, note=f"{name} is not UTF-8; decoded it as GBK (GB18030)")
    if _try(data, "big5"):
        text = data.decode("big5")
        if _mostly_cjk(text):
            return _checked(text, "big5", name, note=f"{name} is not UTF-8; decoded it as Big5")
    if _try(data, "cp1252"):
        text = data.decode("cp1252")
        if _plausible_western(text):
            return _checked(text, "cp1252", name, note=f"{name} is not UTF-8; decoded it as Windows-1252")
    _undecodable(name)
    raise AssertionError("unreachable")


def _try(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding, errors="strict")
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _undecodable(name: str):
    raise BadInput(
        f"{name} is neither UTF-8 nor GBK text and could not be decoded",
        "re-save it as UTF-8 (most editors: Save with Encoding → UTF-8)",
    )


def _mostly_cjk(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return False
    good = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or ch in "“”‘’…—·《》")
    return good / len(non_ascii) >= 0.9


def _plausible_western(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    good = sum(1 for ch in non_ascii if unicodedata.category(ch)[0] in ("L", "P", "S", "Z"))
    return good / len(non_ascii) >= 0.95 and len(non_ascii) < 0.2 * len(text)


def _checked(text: str, encoding: str, name: str, note: str | None = None) -> Decoded:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # control characters other than tab/newline mean this is not a text plan
    controls = sum(1 for ch in text[:20000] if unicodedata.category(ch) == "Cc" and ch not in "\n\t\f\v")
    if controls > max(3, len(text[:20000]) // 200):
        raise BadInput(f"{name} looks like a binary file, not a text plan", "a plan is Markdown or plain text")
    if not re.search(r"\w", text):
        raise BadInput(f"{name} has no text in it", "write the plan first: headings for months/weeks, papers in a list")
    return Decoded(text, encoding, note)
