"""Reading a plan file: size, binary and encoding checks, with a clear message for each refusal.

Plans come as UTF-8 mostly, but Chinese plans saved by Windows tools are often GBK (read here
as GB18030, its superset), Traditional Chinese ones Big5, Japanese ones Shift-JIS; UTF-16 with
a byte-order mark and Windows-1252 English also occur. Which legacy encoding a file is in is
charset-normalizer's call; a file no encoding fits is refused.
"""

from __future__ import annotations

import re
import stat
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
    """The file's text. Anything but a regular file (a FIFO would block the import forever,
    /dev/zero would fill memory) is refused before it is opened, and the size is checked before a
    byte is read; reading stops at the limit in any case (a file may grow, /proc lies about size)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except PermissionError as exc:
        raise BadInput(f"cannot read {path}: permission denied") from exc
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{path} is a folder, not a plan file")
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{path} is {_special_kind(info.st_mode)}, not a plan file; nothing was read",
                       "give the path of a Markdown or text file")
    if info.st_size > MAX_BYTES:
        raise _too_large(path.name, info.st_size)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except PermissionError as exc:
        raise BadInput(f"cannot read {path}: permission denied") from exc
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_bytes(data, name=path.name)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_large(name: str, size: int) -> BadInput:
    return BadInput(
        f"{name} is {size / 1024 / 1024:.1f} MB, too large for a reading plan (the limit is {MAX_BYTES // 1024 // 1024} MB)",
        "split it, or check that it is the right file",
    )


def decode_bytes(data: bytes, name: str = "the plan") -> Decoded:
    if len(data) > MAX_BYTES:
        raise _too_large(name, len(data))
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
    return _detected(data, name)


# Legacy encodings plans arrive in, and how to name them to the user. charset-normalizer finds
# the encoding (a hand-written guesser reads Shift-JIS as GBK: both decode without error).
_ENCODING_NAMES = {
    "gb18030": "GBK (GB18030)", "gb2312": "GBK (GB18030)", "gbk": "GBK (GB18030)", "hz": "GBK (GB18030)",
    "big5": "Big5", "big5hkscs": "Big5", "cp950": "Big5",
    "cp932": "Shift-JIS", "shift_jis": "Shift-JIS", "shift_jis_2004": "Shift-JIS", "shift_jisx0213": "Shift-JIS",
    "euc_jp": "EUC-JP", "euc_jis_2004": "EUC-JP", "iso2022_jp": "ISO-2022-JP",
    "cp949": "EUC-KR", "euc_kr": "EUC-KR", "johab": "Johab",
    "cp1252": "Windows-1252", "latin_1": "Latin-1", "iso8859_15": "Latin-9", "cp1250": "Windows-1250",
}
_CANDIDATES = ("gb18030", "big5", "cp932", "euc_jp", "cp949", "cp1252", "cp1250", "latin_1", "iso8859_15", "cp1251", "koi8_r",
               "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874")


def _rank(encoding: str) -> int:
    return _CANDIDATES.index(encoding) if encoding in _CANDIDATES else len(_CANDIDATES)


_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_CHAOS_LIMIT = 0.2  # charset-normalizer's "mess" ratio above which the text is not trusted


def _detected(data: bytes, name: str) -> Decoded:
    from charset_normalizer import from_bytes

    # Only the encodings plans are saved in are candidates (a short GBK file can otherwise pass for
    # UTF-16 or Johab). charset-normalizer ranks them by "mess"; on a short Big5 plan, Shift-JIS
    # half-width katakana (ｾ\ﾅｪｭ) can look tidier than the right reading, and half-width katakana
    # does not occur in plans, so such a candidate loses to one without it. Equal mess: the order of
    # _CANDIDATES (Simplified Chinese first, our users' most common legacy encoding).
    matches = list(from_bytes(data, threshold=_CHAOS_LIMIT, cp_isolation=list(_CANDIDATES)))
    if not matches:
        _undecodable(name)
    plain = [m for m in matches if not _HALFWIDTH_KANA.search(str(m))] or matches
    best = min(plain, key=lambda m: (round(m.chaos, 2), _rank(m.encoding)))
    encoding = best.encoding
    # GB18030 is the superset of GB2312/GBK: a file named either may use its extra characters
    if encoding in ("gb2312", "gbk", "hz"):
        encoding = "gb18030"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        _undecodable(name)
    if encoding != "cp1252" and _try(data, "cp1252") and data.decode("cp1252") == text:
        encoding = "cp1252"  # the same text either way (“smart quotes” are in several code pages): say the usual one
    if encoding in ("cp1252", "latin_1", "iso8859_15", "cp1250") and not _plausible_western(text):
        _undecodable(name)
    shown = _ENCODING_NAMES.get(encoding, encoding)
    return _checked(text, encoding, name, note=f"{name} is not UTF-8; decoded it as {shown}")


def _try(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding, errors="strict")
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _undecodable(name: str):
    raise BadInput(
        f"{name} is neither UTF-8 nor GBK text and could not be decoded (no other encoding fits it either)",
        "re-save it as UTF-8 (most editors: Save with Encoding → UTF-8)",
    )


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
