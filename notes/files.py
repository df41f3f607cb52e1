"""Note files: where a paper's note lives, creating it from the template, reading it back.

Notes belong to the user. The tool creates a note only when none exists and otherwise only
reads it (highlights.py appends, and only under its own heading).
"""

from __future__ import annotations

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
    try:
        return path.read_text(encoding="utf-8-sig")
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
    match = re.search(r"^(---|\.\.\.)[ \t]*$", text[first_break + 1:], re.M)
    if match is None:
        return FrontMatter({}, 0, "front matter has no closing '---' line")
    raw = text[first_break + 1: first_break + 1 + match.start()]
    body_start = first_break + 1 + match.end()
    try:
        data = yaml.load(raw, Loader=_YAML_LOADER) if raw.strip() else {}
    except yaml.YAMLError as exc:
        problem = str(getattr(exc, "problem", None) or exc).split("\n")[0]
        return FrontMatter({}, body_start, f"front matter is not valid YAML ({problem})")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter({}, body_start, "front matter is not a set of `key: value` lines")
    return FrontMatter(data, body_start)


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
