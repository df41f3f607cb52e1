"""[[citekey]] links in notes, as Obsidian users write them: `[[hu2021lora]]`,
`[[hu2021lora|LoRA]]` (an alias), `[[hu2021lora#Method]]` (a heading). Embeds (`![[...]]`) and
links inside code are not links.

A link in paper A's note to paper B is an edge the user made: A builds on (relates to) B. The
graph shows it as "your link" (unless B already cites or needs A: then the edge would make a
cycle, and the link stays a link and a backlink only), the Paper screen lists A under B's
backlinks, and `kb cards --check` reports a link whose target is neither a paper's citekey nor
another note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kb.store import Store

LINK_RE = re.compile(r"(?<!!)\[\[([^\[\]|#\n]+?)(?:#[^\[\]|\n]*)?(?:\|[^\[\]\n]*)?\]\]")
_FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
_INLINE_CODE_RE = re.compile(r"`[^`\n]*`")


@dataclass(frozen=True)
class Link:
    target: str  # the citekey (or note name) as written
    line: int  # 1-based


def parse(text: str) -> list[Link]:
    """The links of a note, in order, outside front matter and code."""
    if "[[" not in text:
        return []
    out: list[Link] = []
    lines = text.replace("\r\n", "\n").split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break
    fence = None
    for number, line in enumerate(lines[start:], start + 1):
        opened = _FENCE_RE.match(line)
        if opened:
            fence = None if fence == opened.group(1) else (fence or opened.group(1))
            continue
        if fence or "[[" not in line:
            continue
        for m in LINK_RE.finditer(_INLINE_CODE_RE.sub(lambda c: " " * len(c.group(0)), line)):
            target = m.group(1).strip()
            if target:
                out.append(Link(target, number))
    return out


def replace(store: Store, note_path: str, paper_id: int | None, links: list[Link]) -> None:
    """A note's links as last parsed (inside the sync's transaction)."""
    store.execute("DELETE FROM note_links WHERE note_path = ?", (note_path,))
    store.executemany("INSERT OR IGNORE INTO note_links (note_path, src_paper_id, target, line) VALUES (?, ?, ?, ?)",
                      [(note_path, paper_id, link.target, link.line) for link in links])


def forget(store: Store, note_path: str) -> None:
    store.execute("DELETE FROM note_links WHERE note_path = ?", (note_path,))


def backlinks(store: Store, paper_id: int) -> list[dict]:
    """Papers whose notes link to this paper: {id, citekey, title, year, note_path, line}."""
    return [dict(r) for r in store.all(
        "SELECT DISTINCT s.id, s.citekey, s.title, s.year, l.note_path, l.line FROM note_links l "
        "JOIN papers d ON lower(d.citekey) = lower(l.target) JOIN papers s ON s.id = l.src_paper_id "
        "WHERE d.id = ? AND s.id != d.id ORDER BY s.year, s.title, l.line", (paper_id,))]


def outgoing(store: Store, paper_id: int) -> list[dict]:
    """The links in this paper's note: {target, line, paper_id (None when unknown), title}."""
    return [dict(r) for r in store.all(
        "SELECT l.target, l.line, l.note_path, d.id AS paper_id, d.title FROM note_links l "
        "LEFT JOIN papers d ON lower(d.citekey) = lower(l.target) WHERE l.src_paper_id = ? ORDER BY l.note_path, l.line",
        (paper_id,))]


def pairs(store: Store) -> list[tuple[int, int]]:
    """(linking paper, linked paper) for every link between two papers of the library."""
    return [(r["src"], r["dst"]) for r in store.all(
        "SELECT DISTINCT l.src_paper_id AS src, d.id AS dst FROM note_links l JOIN papers d ON lower(d.citekey) = lower(l.target) "
        "WHERE l.src_paper_id IS NOT NULL AND l.src_paper_id != d.id")]


def link_between(store: Store, linking: int, linked: int) -> dict | None:
    """Where the linking paper's note links the other one: {note_path, line} (the first), or None."""
    row = store.one(
        "SELECT l.note_path, l.line FROM note_links l JOIN papers d ON lower(d.citekey) = lower(l.target) "
        "WHERE l.src_paper_id = ? AND d.id = ? ORDER BY l.note_path, l.line LIMIT 1", (linking, linked))
    return dict(row) if row is not None else None


def unknown(store: Store, notes_root: Path, paper_id: int | None = None) -> list[dict]:
    """Links whose target is neither a paper's citekey nor the name of another note (a concept
    note such as [[attention]] is a fine link): {note_path, line, target}."""
    where, params = ("AND l.src_paper_id = ?", (paper_id,)) if paper_id is not None else ("", ())
    rows = store.all(
        "SELECT l.note_path, l.line, l.target FROM note_links l LEFT JOIN papers d ON lower(d.citekey) = lower(l.target) "
        f"WHERE d.id IS NULL {where} ORDER BY l.note_path, l.line", params)
    notes = {p.stem.lower() for p in notes_root.rglob("*.md")} if notes_root.is_dir() and rows else set()
    return [dict(r) for r in rows if Path(r["target"]).stem.lower() not in notes and r["target"].lower() not in notes]
