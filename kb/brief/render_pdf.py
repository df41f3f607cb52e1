"""The deck as a PDF of 16:9 pages, from the same slides as the PowerPoint: each text box is laid
out by PyMuPDF's insert_htmlbox, which scales the text down until it fits (so nothing overflows),
and each image is placed as the small JPEG or PNG it was saved as (so the file stays light).

MuPDF falls back to its built-in CJK font for Chinese glyphs.

The speaker notes (the PowerPoint deck's notes: the full text of what a slide cuts short, the
quotes' sources) ride on each page as a PDF text annotation ("sticky note") in its top right
corner: PDF viewers list them as comments, and pdfpc shows them as the presenter's notes.
"""

from __future__ import annotations

import html
from pathlib import Path

from kb.brief.deck import Slide

TEXT_SHARE = 0.4  # of the width, beside an image: the figure or table is what the audience reads
W, H = 960, 540  # points: 13.333 x 7.5 inches, as the PowerPoint deck
M = 36
COLORS = {"own": "#202020", "quote": "#445577", "notice": "#808080"}
CSS = "* { font-family: sans-serif; } ul { margin: 0; padding-left: 14pt; } li { margin-bottom: 5pt; }"


def _e(text: str) -> str:
    return html.escape(text or "")


def _box(page, rect, body: str, size: int) -> None:
    import pymupdf

    page.insert_htmlbox(pymupdf.Rect(rect), f'<div style="font-size:{size}pt">{body}</div>', css=CSS)


def _image(page, rect, path: Path) -> None:
    import pymupdf

    page.insert_image(pymupdf.Rect(rect), filename=str(path), keep_proportion=True)


def _table_html(rows: list[list[str]]) -> str:
    head = "".join(f"<th style='text-align:left;border-bottom:1px solid #888'>{_e(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td style='border-bottom:1px solid #ddd'>{_e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table style='border-collapse:collapse;width:100%'><tr>{head}</tr>{body}</table>"


def draw(page, s: Slide) -> None:
    bullets = "<ul>" + "".join(f"<li style='color:{COLORS[b.kind]}'>{_e(b.text)}</li>" for b in s.bullets) + "</ul>"
    if s.kind in ("cover", "title"):
        _box(page, (M, 60, W - M, 190), f"<b style='color:#102050'>{_e(s.title)}</b>", 32)
        if s.subtitle:
            _box(page, (M, 200, W - M, 250), f"<span style='color:#505050'>{_e(s.subtitle)}</span>", 18)
        if s.bullets:
            _box(page, (M, 270, W - M, H - M), bullets, 20)
        return
    _box(page, (M, 20, W - M, 82), f"<b style='color:#102050'>{_e(s.title)}</b>", 26)
    top, bottom = 96, H - 44
    if s.table:
        table_h = min(30 * len(s.table) + 12, 200)  # room for cells that wrap, so the text is not scaled down
        _box(page, (M, top, W - M, top + table_h), _table_html(s.table), 11)
        top += table_h + 8
    text_right = W - M
    if s.image is not None:
        text_right = M + (W - 2 * M) * TEXT_SHARE if s.bullets else M
        left = text_right + (12 if s.bullets else 0)
        _image(page, (left, top, W - M, bottom - 18), s.image.path)
        if s.image_label:
            _box(page, (left, bottom - 16, W - M, bottom + 2), f"<span style='color:#606060'>{_e(s.image_label)}</span>", 10)
    if s.bullets:
        _box(page, (M, top, text_right, bottom), bullets, 20)
    if s.footer:
        _box(page, (M, H - 36, W - M, H - 12), f"<span style='color:#505050'>{_e(s.footer)}</span>", 12)


def write_pdf(slides: list[Slide], out: Path) -> int:
    """Write the PDF to `out` (atomically); returns its page count."""
    import pymupdf

    doc = pymupdf.open()
    for s in slides:
        page = doc.new_page(width=W, height=H)
        draw(page, s)
        if s.notes:
            note = page.add_text_annot((W - 20, 4), "\n\n".join(s.notes), icon="Note")
            note.set_info(title="Speaker notes")
            note.update()
    partial = out.with_name(out.name + ".partial")
    doc.subset_fonts()  # each text box embeds its fonts whole (the CJK fallback is megabytes): keep the glyphs used
    doc.save(str(partial), garbage=4, deflate=True)
    doc.close()
    partial.replace(out)
    return len(slides)
