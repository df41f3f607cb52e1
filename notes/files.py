"""Note files: where a paper's note lives, creating it from the template, reading it back.

Notes belong to the user. The tool creates a note only when none exists and otherwise only
reads it (highlights.py appends, and only under its own heading).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb import atomic, paths
from kb.errors import KbError
from kb.papers import Paper
from kb.store import Store
from notes import template

SECTION_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$")
COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# libyaml is ~10× faster than the pure-Python loader: it matters when a thousand notes sync.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UTF8_SIG_DECODER = codecs.getincrementaldecoder("utf-8-sig")
FRONT_MATTER_CLOSE_RE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.M)

# Front matter as notes are written (template.render, and by hand): `key: value` lines whose
# values are words, integers, null or booleans, quoted strings without escapes, `[a, b]`, or a
# list of `- item` lines under `key:`. Even libyaml spends ~100 µs building a small document;
# these lines are read directly, to the very values YAML 1.1 (PyYAML's safe loader) gives
# them, and anything else is left to YAML.
_SIMPLE_LINE_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*):(?: +(.*))?")
_SIMPLE_ITEM_RE = re.compile(r"( *)- +(.*)")
_SIMPLE_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")  # no octal, hex, `_` or sign `+`
_SIMPLE_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/ ]*")  # not a number, date, `.inf`, `~` ...
# Printable ASCII but the quote (and, in double quotes, the backslash that starts an escape).
_SIMPLE_QUOTED_RE = re.compile(r"'[ -&(-~]*'|\"[ !#-\[\]-~]*\"")
_YAML_NULLS = frozenset(("null", "Null", "NULL"))
_YAML_BOOLS = {word: value for words, value in (("yes true on", True), ("no false off", False))
               for base in words.split() for word in (base, base.capitalize(), base.upper())}
# What YAML refuses anywhere (comments too), and line breaks besides "\n" (YAML 1.1 has four more).
_YAML_AWKWARD_RE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_SIMPLE = object()


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    body_start: int  # index in the text where the body begins
    error: str | None = None


def notes_dir(home: Path, config: dict) -> Path:
    configured = (config.get("notes") or {}).get("dir") or ""
    return Path(configured).expanduser() if configured else paths.notes_dir_default(home)


def note_path(home: Path, config: dict, paper: Paper) -> Path:
    return notes_dir(home, config) / f"{paper.citekey}.md"


def ensure_note(store: Store, home: Path, config: dict, paper: Paper) -> Path:
    """The paper's note, created from the template if there is none; an existing one is untouched."""
    path = note_path(home, config, paper)
    if path.exists():
        return path
    claimed = _note_claiming(store, home, config, paper.id)
    if claimed is not None:
        return claimed  # renamed by the user: follow it rather than start a second note
    atomic.write_text(path, template.render(paper))
    return path


def _note_claiming(store: Store, home: Path, config: dict, paper_id: int) -> Path | None:
    try:
        rows = store.all("SELECT path FROM notes WHERE paper_id = ? AND missing = 0 ORDER BY path", (paper_id,))
    except KbError:
        return None
    for row in rows:
        candidate = notes_dir(home, config) / row["path"]
        if candidate.exists():
            return candidate
    return None


def read_text(path: Path) -> str:
    """The note's text as Path.read_text(encoding="utf-8-sig") gives it (a leading BOM dropped,
    universal newlines), read as bytes and decoded at once: a sync reads every note."""
    try:
        with open(path, "rb") as handle:
            text = _UTF8_SIG_DECODER().decode(handle.read(), True)  # as read_text's decoder, edge cases too
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    except UnicodeDecodeError as exc:
        raise KbError(f"the note {path} is not UTF-8 text", "save it as UTF-8 in your editor") from exc
    except OSError as exc:
        raise KbError(f"cannot read the note {path}: {exc.strerror or exc}") from exc


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def parse_front_matter(text: str) -> FrontMatter:
    """YAML between a leading `---` line and the next `---`; broken YAML is reported, not raised."""
    if not text.startswith("---"):
        return FrontMatter({}, 0)
    first_break = text.find("\n")
    if first_break < 0 or text[:first_break].strip() != "---":
        return FrontMatter({}, 0)
    # `^` matches at pos: text[first_break] is a line break.
    match = FRONT_MATTER_CLOSE_RE.search(text, first_break + 1)
    if match is None:
        return FrontMatter({}, 0, "front matter has no closing '---' line")
    raw = text[first_break + 1: match.start()]
    body_start = match.end()
    try:
        data = simple_front_matter(raw) if raw.strip() else {}
        if data is None:
            data = yaml.load(raw, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        problem = str(getattr(exc, "problem", None) or exc).split("\n")[0]
        return FrontMatter({}, body_start, f"front matter is not valid YAML ({problem})")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter({}, body_start, "front matter is not a set of `key: value` lines")
    return FrontMatter(data, body_start)


def simple_front_matter(raw: str) -> dict[str, Any] | None:
    """raw (front matter without its `---` lines) read as YAML if it holds only simple lines
    (see _SIMPLE_LINE_RE); None for anything else, which only YAML can say."""
    if _YAML_AWKWARD_RE.search(raw):
        return None
    data: dict[str, Any] = {}
    open_key: str | None = None  # the last key, while its value is empty or a list of `- item` lines
    item_indent = -1
    for line in raw.split("\n"):
        if not line or line[0] == "#":  # blank, or a comment
            continue
        if line[0] != " " and line[0] != "-":
            match = _SIMPLE_LINE_RE.fullmatch(line)
            if match is None:
                return None
            key, value = match.groups()
            if key in data or key in _YAML_NULLS or key in _YAML_BOOLS:
                return None
            value = value.rstrip(" ") if value else ""
            open_key = None
            if not value:
                data[key] = None
                open_key = key
            elif value[0] == "[":
                if value[-1] != "]":
                    return None
                inner = value[1:-1].strip(" ")
                items = [_simple_scalar(item.strip(" ")) for item in inner.split(",")] if inner else []
                if _NOT_SIMPLE in items:
                    return None
                data[key] = items
            else:
                data[key] = _simple_scalar(value)
                if data[key] is _NOT_SIMPLE:
                    return None
            continue
        match = _SIMPLE_ITEM_RE.fullmatch(line)
        if match is None or open_key is None:
            return None
        indent = len(match.group(1))
        if data[open_key] is None:
            data[open_key], item_indent = [], indent
        elif indent != item_indent:
            return None
        item = _simple_scalar(match.group(2).rstrip(" "))
        if item is _NOT_SIMPLE:
            return None
        data[open_key].append(item)
    return data


def _simple_scalar(text: str) -> Any:
    if not text:
        return _NOT_SIMPLE
    if text[0] in "'\"":
        return text[1:-1] if _SIMPLE_QUOTED_RE.fullmatch(text) else _NOT_SIMPLE
    if _SIMPLE_INT_RE.fullmatch(text):
        return int(text)
    if _SIMPLE_WORD_RE.fullmatch(text):
        if text in _YAML_NULLS:
            return None
        return _YAML_BOOLS.get(text, text)
    return _NOT_SIMPLE


def sections(text: str) -> dict[str, str]:
    """`## Heading` → the text under it, with HTML comments (template prompts) removed."""
    body = text[parse_front_matter(text).body_start:]
    out: dict[str, str] = {}
    current: str | None = None
    buffer: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else SECTION_RE.match(line)
        if match:
            if current is not None:
                out[current] = _clean(buffer)
            current, buffer = match.group(1).strip(), []
        elif current is not None:
            buffer.append(line)
    if current is not None:
        out[current] = _clean(buffer)
    return out


def read_sections(path: Path) -> dict[str, str]:
    """Section name → its text; an empty string for a section that holds only the template prompt."""
    return sections(read_text(Path(path)))


def _clean(lines: list[str]) -> str:
    return COMMENT_RE.sub("", "\n".join(lines)).strip()
