"""The brief as PDF, laid out by PyMuPDF's Story from the brief's HTML.

MuPDF falls back to its built-in Droid Sans Fallback for CJK glyphs, so Chinese notes render.
"""

from __future__ import annotations

from pathlib import Path

from kb.brief import render_html
from kb.brief.model import Brief

_STORY_CSS = "body { font-family: sans-serif; font-size: 10pt; } h1 { font-size: 18pt; } h2 { font-size: 14pt; } blockquote { margin-left: 12pt; color: #444; }"


def write_pdf(brief: Brief, out: Path, assets: Path) -> int:
    """Write the PDF to `out` (atomically); returns its page count."""
    import pymupdf

    html = render_html.document(brief, inline_images=False)
    archive = pymupdf.Archive(str(assets)) if assets.exists() else None
    story = pymupdf.Story(html=html, user_css=_STORY_CSS, archive=archive)
    partial = out.with_name(out.name + ".partial")
    writer = pymupdf.DocumentWriter(str(partial))
    mediabox = pymupdf.paper_rect("a4")
    where = mediabox + (48, 48, -48, -48)
    pages, more = 0, 1
    while more:
        device = writer.begin_page(mediabox)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
        pages += 1
    writer.close()
    partial.replace(out)
    return pages
