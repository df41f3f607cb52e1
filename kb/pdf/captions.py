"""Figure and table captions: a paragraph that begins "Figure 3:" or "Table 2." ."""

from __future__ import annotations

import re
from itertools import groupby

from kb.pdf.layout import Line
from kb.pdf.model import Caption
from kb.pdf.text import join_lines

_CAPTION_RE = re.compile(r"^(?P<kind>Figure|Fig\.|Table)\s*(?P<num>\d{1,3}|[A-Z]\.?\d{1,2})\s*(?P<sep>[:.|]?)\s*", re.I)


def find_captions(lines: list[Line], vocab: set[str] | None = None) -> list[Caption]:
    """Captions of one page, in reading order. A paragraph that merely mentions a figure
    ("Figure 2 shows …") has no colon or full stop after the number and is not a caption, unless the label is set
    in bold (the run-in style of some templates)."""
    found: list[Caption] = []
    for _, block in groupby(lines, key=lambda l: l.block):
        block = list(block)
        match = _CAPTION_RE.match(block[0].text)
        if not match or not block[0].text[:1].isupper():
            continue
        if not match.group("sep") and not block[0].lead_bold:
            continue
        kind = "table" if match.group("kind").lower() == "table" else "figure"
        label = f"{'Table' if kind == 'table' else 'Figure'} {match.group('num')}"
        text = join_lines([l.text for l in block], vocab)
        text = _CAPTION_RE.sub("", text, count=1).strip()
        bbox = (min(l.bbox[0] for l in block), min(l.bbox[1] for l in block), max(l.bbox[2] for l in block), max(l.bbox[3] for l in block))
        found.append(Caption(kind, label, text, block[0].page, bbox))
    return found


def first_of_each(captions: list[Caption]) -> list[Caption]:
    """A label can recur (a continued table, a caption quoted in the appendix): keep the first."""
    seen, out = set(), []
    for caption in captions:
        if caption.label not in seen:
            seen.add(caption.label)
            out.append(caption)
    return out
