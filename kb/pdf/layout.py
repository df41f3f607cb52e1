"""Reading order and page furniture: the lines of a page as a reader meets them (left column
before right column on two-column pages) without running headers, footers, page numbers or the
rotated arXiv stamp in the margin."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pymupdf

from kb.pdf.text import normalize


@dataclass
class Line:
    page: int  # 1-based
    text: str  # NFKC-normalised
    bbox: tuple[float, float, float, float]
    size: float  # font size of the line's longest span
    bold: bool
    block: int  # index of the paragraph block on its page, in reading order
    lead_bold: bool = False  # the first word is bold: a run-in label such as a caption's "Figure 1"

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def y0(self) -> float:
        return self.bbox[1]


@dataclass
class PageLayout:
    number: int
    width: float
    height: float
    lines: list[Line]
    margin_text: str  # rotated text (the arXiv stamp lives here)


_BOLD_FLAG = 16


def read_page(page, number: int) -> PageLayout:
    """Lines of one PyMuPDF page in reading order."""
    data = page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)
    width, height = page.rect.width, page.rect.height
    blocks, margin = [], []
    for block in data["blocks"]:
        if block.get("type") != 0:
            continue
        lines = []
        for line in block["lines"]:
            if abs(line["dir"][1]) > 0.5:  # vertical text: margin stamps, rotated labels
                margin.append("".join(s["text"] for s in line["spans"]))
                continue
            lines.append(line)
        if lines:
            blocks.append((block["bbox"], _merge_baselines(lines)))
    ordered = _reading_order(blocks, width)
    out: list[Line] = []
    for index, (_, lines) in enumerate(ordered):
        for spans, bbox in lines:
            text = normalize("".join(s["text"] for s in spans)).strip()
            if not text:
                continue
            main = max(spans, key=lambda s: len(s["text"].strip()))
            inked = [s for s in spans if s["text"].strip()]
            bold = all(_is_bold(s) for s in inked)
            out.append(Line(number, text, bbox, round(main["size"], 1), bold, index, bool(inked) and _is_bold(inked[0])))
    return PageLayout(number, width, height, out, normalize(" ".join(margin)))


def _is_bold(span) -> bool:
    return bool(span["flags"] & _BOLD_FLAG) or "bold" in span["font"].lower() or span["font"].endswith(("-Medi", ".B"))


def _merge_baselines(lines):
    """PyMuPDF splits a justified line at wide gaps; glue the pieces that share a baseline."""
    groups: list[list] = []
    for line in sorted(lines, key=lambda l: l["bbox"][3]):
        if groups and abs(groups[-1][-1]["bbox"][3] - line["bbox"][3]) < 2.5:
            groups[-1].append(line)
        else:
            groups.append([line])
    merged = []
    for group in groups:
        group.sort(key=lambda l: l["bbox"][0])
        spans: list = []
        for line in group:
            if spans and not spans[-1]["text"].endswith(" "):
                spans.append({"text": " ", "size": 0, "flags": 0, "font": ""})
            spans.extend(line["spans"])
        boxes = [l["bbox"] for l in group]
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        merged.append((spans, bbox))
    return merged


def _reading_order(blocks, width: float):
    """Top-to-bottom bands; inside a band the left column comes before the right one.

    A block wider than ~60% of the page (a title, a full-width figure caption) closes the band,
    so a two-column page with a full-width figure in the middle reads correctly.
    """
    mid = width / 2
    blocks = sorted(blocks, key=lambda b: (b[0][1], b[0][0]))
    out, band = [], []

    def flush():
        left = [b for b in band if b[0][0] < mid - 10]
        right = [b for b in band if b[0][0] >= mid - 10]
        out.extend(sorted(left, key=lambda b: b[0][1]) + sorted(right, key=lambda b: b[0][1]))
        band.clear()

    for block in blocks:
        x0, _, x1, _ = block[0]
        spans_both = x0 < mid - 10 and x1 > mid + 10 and (x1 - x0) > 0.6 * width
        if spans_both:
            flush()
            out.append(block)
        else:
            band.append(block)
    flush()
    return out


_DIGITS = re.compile(r"\d+")


def _furniture_key(text: str) -> str:
    return _DIGITS.sub("#", text.lower()).strip()


def remove_furniture(pages: list[PageLayout]) -> None:
    """Drop running headers/footers (the same text in the top or bottom band of many pages)
    and bare page numbers, in place."""
    if not pages:
        return
    counts: Counter[str] = Counter()
    for page in pages:
        seen = set()
        for line in page.lines:
            if _in_band(line, page):
                seen.add(_furniture_key(line.text))
        counts.update(seen)
    threshold = max(2, int(0.3 * len(pages)))
    repeated = {key for key, n in counts.items() if n >= threshold}
    for page in pages:
        page.lines = [
            line for line in page.lines
            if not (_in_band(line, page) and (_furniture_key(line.text) in repeated or _is_page_number(line.text)))
        ]


def _in_band(line: Line, page: PageLayout) -> bool:
    return line.bbox[3] < 0.1 * page.height or line.bbox[1] > 0.9 * page.height


def _is_page_number(text: str) -> bool:
    return bool(re.fullmatch(r"(page\s*)?\d{1,4}(\s*(/|of)\s*\d{1,4})?|[ivxlc]{1,6}", text.strip().lower()))
