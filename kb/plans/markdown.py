"""Markdown as people write reading plans: headings, nested lists, checkboxes, tables, paragraphs.

Not a full CommonMark parser: a line-based reader that keeps what a plan's structure needs
(the heading levels, each list item's nesting and checkbox, the paragraphs written under an
item, table rows with their header) and the inline text as written, so that the item reader
can still see quotes, *italics*, links and `code`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•·]|\d{1,3}[.)、]|[a-zA-Z][.)]|[（(]\d{1,3}[)）])\s+(?P<text>.*)$")
_CHECKBOX = re.compile(r"^\[(?P<state>[ xX✓✔✅/-]?)\]\s*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")


@dataclass
class Block:
    type: str                    # heading, item, para, row
    line: int                    # 1-based line number
    text: str                    # inline Markdown as written, marker removed
    level: int = 0               # heading level (1-6)
    indent: int = 0              # columns before an item's marker, or a paragraph's first character
    ordered: bool = False
    checked: bool | None = None  # None: no checkbox
    parent: int | None = None    # index of the enclosing item block (lists), else None
    cells: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # paragraphs written under an item
    uid: int = -1                # index in the document's block list (what `parent` refers to)


def _columns(prefix: str) -> int:
    return len(prefix.expandtabs(4))


def split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, current, escaped = [], [], False
    for ch in body:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
            current.append(ch)
        elif ch == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    cells.append("".join(current).strip())
    return [c.replace("\\|", "|") for c in cells]


def parse(text: str) -> list[Block]:
    """The blocks of a Markdown document, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    stack: list[int] = []          # indexes of open list items, innermost last
    in_fence = False
    in_comment = False
    table_header: list[str] | None = None
    blank_before = True
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        if in_fence:
            if _FENCE.match(raw):
                in_fence = False
            continue
        if _FENCE.match(raw):
            in_fence = True
            continue
        if in_comment:
            if "-->" in raw:
                in_comment = False
                raw = raw.split("-->", 1)[1]
            else:
                continue
        if "<!--" in raw:
            before, _, after = raw.partition("<!--")
            if "-->" in after:
                raw = before + after.split("-->", 1)[1]
            else:
                raw = before
                in_comment = True
        # block quotes read as their content
        quoted = re.match(r"^(\s*>\s?)+", raw)
        if quoted:
            raw = raw[quoted.end():]
        if not raw.strip():
            blank_before = True
            table_header = None if (i < len(lines) and not lines[i].strip().startswith("|")) else table_header
            continue

        # tables: a header row, a separator row, then rows
        if "|" in raw and i < len(lines) and _TABLE_SEP.match(lines[i]) and raw.strip().count("|") >= 1:
            table_header = split_row(raw)
            i += 1  # skip the separator
            stack.clear()
            blank_before = False
            continue
        if table_header is not None and "|" in raw:
            cells = split_row(raw)
            blocks.append(Block("row", lineno, " | ".join(c for c in cells if c), cells=cells, header=list(table_header)))
            blank_before = False
            continue
        table_header = None

        m = _HEADING.match(raw)
        if m and (m.group(2) or len(m.group(1)) > 0) and not raw.lstrip().startswith("#!"):
            if m.group(2):
                blocks.append(Block("heading", lineno, m.group(2), level=len(m.group(1))))
            stack.clear()
            blank_before = False
            continue
        # setext headings: a paragraph line underlined with === or ---
        if blocks and blocks[-1].type == "para" and blocks[-1].line == lineno - 1 and re.match(r"^\s{0,3}(=+|-+)\s*$", raw) and not blocks[-1].indent:
            prev = blocks.pop()
            blocks.append(Block("heading", prev.line, prev.text, level=1 if "=" in raw else 2))
            stack.clear()
            continue
        if _HR.match(raw):
            stack.clear()
            blank_before = True
            continue

        m = _ITEM.match(raw)
        if m and not (m.group("marker") in "*-+" and m.group("text").startswith(m.group("marker") * 2)):
            indent = _columns(m.group("indent"))
            text = m.group("text").strip()
            checked = None
            cb = _CHECKBOX.match(text)
            if cb:
                checked = cb.group("state") not in ("", " ")
                text = text[cb.end():].strip()
            while stack and blocks[stack[-1]].indent >= indent:
                stack.pop()
            block = Block(
                "item", lineno, text, indent=indent, ordered=m.group("marker")[0].isdigit(), checked=checked,
                parent=stack[-1] if stack else None,
            )
            blocks.append(block)
            stack.append(len(blocks) - 1)
            blank_before = False
            continue

        # a paragraph line
        indent = _columns(raw[: len(raw) - len(raw.lstrip())])
        text = raw.strip()
        while stack and blocks[stack[-1]].indent >= indent:
            stack.pop()
        if stack:
            owner = blocks[stack[-1]]
            if not blank_before and blocks[-1] is owner and not owner.notes:
                owner.text = f"{owner.text} {text}"          # a lazy continuation of the item's line
            elif not blank_before and owner.notes:
                owner.notes[-1] = f"{owner.notes[-1]} {text}"
            else:
                owner.notes.append(text)
            blank_before = False
            continue
        # Each line of a paragraph is kept apart: plans put one thing a line (a reference list
        # without bullets is the common case), and a wrapped sentence loses nothing by it.
        blocks.append(Block("para", lineno, text, indent=indent))
        blank_before = False
    for n, b in enumerate(blocks):
        b.uid = n
    return blocks

