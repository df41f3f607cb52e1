"""Zotero highlights and child notes into the note, under headings the tool owns:
`## Highlights (from Zotero)` and `## Notes (from Zotero)`.

Each imported highlight carries a `<!-- zotero:KEY -->` marker and each child note a
`<!-- zotero-note:KEY -->` marker, so importing again appends only the new ones. Nothing above or
around the sections is changed; text is only ever added (a note edited later in Zotero is not
rewritten here: the user may have edited the imported copy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kb import atomic
from kb.errors import KbError
from kb.papers import Paper
from kb.store import Store
from notes import files

HEADING = "## Highlights (from Zotero)"
MARKER_RE = re.compile(r"<!-- zotero:([A-Za-z0-9_-]+) -->")
NOTES_HEADING = "## Notes (from Zotero)"
NOTE_MARKER_RE = re.compile(r"<!-- zotero-note:([A-Za-z0-9_-]+) -->")
COLOURS = {
    "#ffd400": "yellow", "#ff6666": "red", "#5fb236": "green", "#2ea8e5": "blue",
    "#a28ae5": "purple", "#e56eee": "magenta", "#f19837": "orange", "#aaaaaa": "grey",
}


@dataclass(frozen=True)
class Highlight:
    key: str
    text: str
    comment: str = ""
    color: str = ""
    page_label: str = ""
    type: str = "highlight"


def colour_name(value: str | None) -> str:
    value = (value or "").strip().lower()
    return COLOURS.get(value, value)


def format_highlight(h: Highlight) -> str:
    where = [f"p. {h.page_label}"] if h.page_label else []
    if h.color:
        where.append(colour_name(h.color))
    head = f"({' · '.join(where)}) " if where else ""
    text = " ".join(h.text.split())
    body = f"“{text}”" if text else f"[{h.type}]"
    comment = f" — {' '.join(h.comment.split())}" if h.comment.strip() else ""
    return f"- {head}{body}{comment} <!-- zotero:{h.key} -->"


def append_highlights(text: str, highlights: list[Highlight]) -> tuple[str, int]:
    """The note with the highlights it lacks appended to the Highlights section (created at the
    end if missing); returns (new text, how many were added). Pure."""
    present = set(MARKER_RE.findall(text))
    fresh = [h for h in highlights if h.key not in present]
    if not fresh:
        return text, 0
    return _append_to_section(text, HEADING, "\n".join(format_highlight(h) for h in fresh)), len(fresh)


def _append_to_section(text: str, heading: str, block: str) -> str:
    """`block` appended at the end of the section under `heading` (created at the end if missing)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        return text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n"
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^#{1,2}\s", lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    new_lines = lines[:end] + block.split("\n") + lines[end:]
    return "\n".join(new_lines)


@dataclass(frozen=True)
class ZoteroNote:
    key: str
    html: str


def note_markdown(html: str) -> str:
    """A Zotero note (HTML) as Markdown; its headings go below the section's level so they do not
    end the section, and nothing in it can look like one of the markers."""
    from markdownify import markdownify

    text = markdownify(html or "", heading_style="ATX", bullets="-").strip()
    text = re.sub(r"(?m)^(#{1,6})\s", lambda m: "#" * min(6, len(m.group(1)) + 2) + " ", text)
    text = text.replace("<!--", "&lt;!--")
    return re.sub(r"\n{3,}", "\n\n", text)


def append_notes(text: str, notes: list[ZoteroNote]) -> tuple[str, int]:
    """The note with the Zotero child notes it lacks appended to the Notes section. Pure."""
    present = set(NOTE_MARKER_RE.findall(text))
    fresh = [n for n in notes if n.key not in present and note_markdown(n.html)]
    if not fresh:
        return text, 0
    block = "\n\n".join(f"<!-- zotero-note:{n.key} -->\n{note_markdown(n.html)}" for n in fresh)
    return _append_to_section(text, NOTES_HEADING, block), len(fresh)


def zotero_notes(store: Store, paper_id: int) -> list[ZoteroNote]:
    """The paper's Zotero child notes from the last sync, oldest key first."""
    import json

    rows = store.all("SELECT key, data FROM zotero_items WHERE paper_id = ? AND item_type = 'note' ORDER BY library, key", (paper_id,))
    return [ZoteroNote(r["key"], str(json.loads(r["data"] or "{}").get("note") or "")) for r in rows]


def zotero_highlights(store: Store, paper_id: int) -> list[Highlight]:
    """The paper's annotations from the Zotero sync, in reading order; none if Zotero was never synced."""
    if not store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'annotations'"):
        return []
    rows = store.all(
        "SELECT zotero_key, type, text, comment, color, page_label FROM annotations WHERE paper_id = ? "
        "ORDER BY sort_index, page_index, date_added, id",
        (paper_id,),
    )
    return [
        Highlight(r["zotero_key"], r["text"] or "", r["comment"] or "", r["color"] or "", str(r["page_label"] or ""), r["type"] or "highlight")
        for r in rows
        if r["zotero_key"] and ((r["text"] or "").strip() or (r["comment"] or "").strip())
    ]


def import_highlights(store: Store, path: Path, paper: Paper) -> int:
    """Append the paper's new Zotero highlights and child notes to its note; returns how many
    were added."""
    highlights = zotero_highlights(store, paper.id)
    zotero_child_notes = zotero_notes(store, paper.id)
    if not (highlights or zotero_child_notes) or not path.exists():
        return 0
    before = files.read_text(path)
    after, added = append_highlights(before, highlights)
    after, added_notes = append_notes(after, zotero_child_notes)
    if added or added_notes:
        # The user may be editing right now: write only if the file is still what was read.
        if files.read_text(path) != before:
            raise KbError(f"{path.name} changed while highlights were being added", "run the command again")
        atomic.write_text(path, after)
    return added + added_notes
