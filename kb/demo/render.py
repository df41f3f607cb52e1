"""Typesetting a demo paper into a PDF with PyMuPDF: title block, abstract, numbered sections,
a figure, a table and a reference list, on US Letter pages with a demo-text footer.

Text goes through TextWriter with embedded (then subset) Unicode fonts, so Greek letters,
author names such as "Łukasz" and the Chinese abstract survive text extraction.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pymupdf

from kb.demo import charts
from kb.demo.corpus import DemoPaper, Figure, Table
from kb.demo.references import reference_list

PAGE_W, PAGE_H = 612.0, 792.0
LEFT, RIGHT, TOP, BOTTOM = 72.0, 540.0, 72.0, 732.0
FOOTER = "paper-kb demo text, not the original paper"
# Fixed dates keep the output byte-for-byte reproducible, so a rebuild changes no content hash.
PDF_DATE = "D:20240101000000Z"
CHART_WIDTH, CHART_HEIGHT = 340.0, 150.0
DIAGRAM_HEIGHT = 56.0
CAPTION_ROOM = 40.0  # three lines of a 9 pt caption
CJK_RE = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@lru_cache(maxsize=None)
def _font(name: str) -> pymupdf.Font:
    return pymupdf.Font(name)


def _body_font(text: str) -> pymupdf.Font:
    return _font("china-s") if CJK_RE.search(text) else _font("tiro")


@lru_cache(maxsize=None)
def _advance(font: pymupdf.Font, char: str) -> float:
    # One MuPDF call per distinct character: measuring whole strings through the bindings is slow.
    # Fonts come from the _font cache, so the same object (and cache key) is used every time.
    return font.glyph_advance(ord(char))


def _unit_width(font: pymupdf.Font, token: str) -> float:
    return sum(_advance(font, char) for char in token)


def _measure(font: pymupdf.Font, text: str, size: float) -> float:
    return sum(_unit_width(font, token) for token in _TOKEN_RE.findall(text)) * size


# A token is a run of whitespace, one CJK character (a line may break after any of them) or a word.
_TOKEN_RE = re.compile(r"\s+|[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")


def wrap(text: str, font: pymupdf.Font, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces, and between CJK characters."""
    lines: list[str] = []
    line, line_w = "", 0.0
    for token in _TOKEN_RE.findall(" ".join(text.split())):
        token_w = _unit_width(font, token) * size
        if token.isspace():
            if line:
                line, line_w = line + " ", line_w + token_w
            continue
        if line and line_w + token_w > width:
            lines.append(line.rstrip())
            line, line_w = "", 0.0
        line, line_w = line + token, line_w + token_w
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Flow:
    """Top-to-bottom layout across pages; a paragraph that does not fit continues overleaf."""

    def __init__(self, doc: pymupdf.Document, footer: str):
        self.doc = doc
        self.footer = footer
        self.page: pymupdf.Page | None = None
        self.writer: pymupdf.TextWriter | None = None
        self.y = TOP
        self._new_page()

    def _new_page(self) -> None:
        self._finish_page()
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.writer = pymupdf.TextWriter(self.page.rect)
        self.y = TOP

    def _finish_page(self) -> None:
        if self.page is None:
            return
        self.writer.write_text(self.page)
        footer = pymupdf.TextWriter(self.page.rect, color=(0.45, 0.45, 0.45))
        text = f"{self.footer} · page {self.page.number + 1}"
        footer.append((LEFT, PAGE_H - 40), text, font=_font("helv"), fontsize=7.5)
        footer.write_text(self.page)

    def close(self) -> None:
        self._finish_page()
        self.page = None

    def space(self, points: float) -> None:
        self.y += points

    def text(self, text: str, *, size: float = 10.0, font: pymupdf.Font | None = None, indent: float = 0.0,
             align: str = "left", after: float = 6.0) -> None:
        font = font or _body_font(text)
        left, width = LEFT + indent, RIGHT - LEFT - 2 * indent
        leading = size * 1.22
        baseline = self.y + size
        for line in wrap(text, font, size, width):
            if baseline > BOTTOM:
                self._new_page()
                baseline = self.y + size
            x = left + (width - _measure(font, line, size)) / 2 if align == "center" else left
            self.writer.append((x, baseline), line, font=font, fontsize=size)
            baseline += leading
        self.y = baseline - leading + size * 0.3 + after

    def heading(self, text: str, size: float = 12.0) -> None:
        # Keep a heading with at least a few lines of what follows it.
        if BOTTOM - self.y < size + 60:
            self._new_page()
        self.space(6)
        self.text(text, size=size, font=_font("tibo"), after=4)

    def keep(self, height: float) -> None:
        """Start a new page unless `height` points still fit on this one."""
        if self.y + height > BOTTOM:
            self._new_page()

    def reserve(self, height: float) -> tuple[pymupdf.Page, pymupdf.Rect]:
        if self.y + height > BOTTOM:
            self._new_page()
        rect = pymupdf.Rect(LEFT, self.y, RIGHT, self.y + height)
        self.y += height
        return self.page, rect


def _title_block(flow: _Flow, paper: DemoPaper) -> None:
    flow.text(paper.title, size=17, font=_font("tibo"), align="center", after=10)
    flow.text(", ".join(paper.authors), size=10.5, align="center", after=4)
    flow.text(f"{paper.venue}, {paper.year}", size=9.5, font=_font("tiit"), align="center", after=2)
    flow.text(f"arXiv:{paper.arxiv_id}", size=9.5, align="center", after=14)


def _abstract(flow: _Flow, paper: DemoPaper) -> None:
    flow.text("Abstract", size=11, font=_font("tibo"), align="center", after=4)
    flow.text(paper.abstract, size=9.5, indent=36)
    if paper.abstract_zh:
        flow.text(paper.abstract_zh, size=9.5, indent=36)
    flow.space(4)


def _figure(flow: _Flow, figure: Figure) -> None:
    flow.space(4)
    flow.keep((DIAGRAM_HEIGHT if figure.kind == "blocks" else CHART_HEIGHT) + CAPTION_ROOM)
    if figure.kind == "blocks":
        page, rect = flow.reserve(DIAGRAM_HEIGHT)
    else:
        page, rect = flow.reserve(CHART_HEIGHT)
        rect = pymupdf.Rect(rect.x0 + (rect.width - CHART_WIDTH) / 2, rect.y0, rect.x0 + (rect.width + CHART_WIDTH) / 2, rect.y1)
    charts.draw(page, rect, figure)
    flow.text(f"Figure 1: {figure.caption}", size=9, indent=24, after=8)


def _column_widths(table: Table, total: float) -> list[float]:
    longest = [max(len(row[i]) for row in (table.header, *table.rows)) + 2 for i in range(len(table.header))]
    return [total * n / sum(longest) for n in longest]


def _table(flow: _Flow, table: Table) -> None:
    # Caption above the table, rules in the booktabs manner (top, below the header, bottom).
    row_h, size = 14.0, 8.5
    flow.space(4)
    flow.keep(CAPTION_ROOM + row_h * (len(table.rows) + 1) + 6)
    flow.text(f"Table 1: {table.caption}", size=9, indent=24, after=4)
    page, rect = flow.reserve(row_h * (len(table.rows) + 1) + 6)
    rect = pymupdf.Rect(rect.x0 + 24, rect.y0, rect.x1 - 24, rect.y1)
    widths = _column_widths(table, rect.width)
    for r, row in enumerate((table.header, *table.rows)):
        x = rect.x0
        font = _font("tibo") if r == 0 else _body_font(" ".join(row))
        for cell, width in zip(row, widths):
            flow.writer.append((x + 3, rect.y0 + row_h * r + 10.5), cell, font=font, fontsize=size)
            x += width
    shape = page.new_shape()
    for y, weight in ((rect.y0, 1.0), (rect.y0 + row_h + 1, 0.5), (rect.y0 + row_h * (len(table.rows) + 1) + 2, 1.0)):
        shape.draw_line((rect.x0, y), (rect.x1, y))
        shape.finish(color=charts.INK, width=weight)
    shape.commit()
    flow.space(8)


def _references(flow: _Flow, paper: DemoPaper, library: dict[str, DemoPaper]) -> None:
    flow.heading("References")
    for number, entry in enumerate(reference_list(paper, library), start=1):
        flow.text(f"[{number}] {entry}", size=9, after=3)


def render(paper: DemoPaper, library: dict[str, DemoPaper]) -> bytes:
    """The PDF of one demo paper; library maps arXiv ids to the papers it may cite."""
    doc = pymupdf.open()
    flow = _Flow(doc, f"{FOOTER} · arXiv:{paper.arxiv_id}")
    _title_block(flow, paper)
    _abstract(flow, paper)
    for number, section in enumerate(paper.sections, start=1):
        flow.heading(f"{number} {section.title}")
        for paragraph in section.paragraphs:
            flow.text(paragraph)
        if paper.figure.section == number:
            _figure(flow, paper.figure)
        if paper.table.section == number:
            _table(flow, paper.table)
    _references(flow, paper, library)
    flow.close()
    doc.set_metadata({
        "title": paper.title,
        "author": ", ".join(paper.authors),
        "subject": FOOTER,
        "keywords": f"arXiv:{paper.arxiv_id}",
        "creator": "paper-kb demo",
        "producer": "paper-kb",
        "creationDate": PDF_DATE,
        "modDate": PDF_DATE,
    })
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return data
