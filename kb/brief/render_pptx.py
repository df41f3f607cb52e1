"""The deck as PowerPoint (python-pptx): 16:9, a font pair that holds CJK, text sized to its box,
images kept inside theirs, the full text in the speaker notes."""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from kb.brief.deck import Slide

TEXT_SHARE = 0.4  # of the width, beside an image: the figure or table is what the audience reads
WIDTH_IN, HEIGHT_IN = 13.333, 7.5
LATIN_FONT = "Arial"
CJK_FONT = "Microsoft YaHei"  # on Windows and in WPS; LibreOffice substitutes Noto Sans CJK
MARGIN_IN = 0.5
TITLE_TOP_IN, TITLE_H_IN = 0.3, 1.0
BODY_TOP_IN = 1.45
FOOTER_H_IN = 0.45
COLORS = {"own": (0x20, 0x20, 0x20), "quote": (0x44, 0x55, 0x77), "notice": (0x80, 0x80, 0x80)}


def text_width_em(text: str) -> float:
    """Width in ems: CJK and full-width characters are one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55 for ch in text)


def lines_needed(text: str, width_pt: float, size_pt: float) -> int:
    per_line = max(1.0, width_pt / size_pt)
    return max(1, math.ceil(text_width_em(text) / per_line))


def fit_size(texts: list[str], width_pt: float, height_pt: float, largest: int = 24, smallest: int = 12,
             spacing: float = 1.25, gap_pt: float = 6) -> int:
    """The largest font size (pt) at which every text, wrapped, fits the box."""
    for size in range(largest, smallest - 1, -1):
        height = sum(lines_needed(t, width_pt - 24, size) * size * spacing + gap_pt for t in texts)
        if height <= height_pt:
            return size
    return smallest


def _fonts(run) -> None:
    from pptx.oxml.ns import qn

    run.font.name = LATIN_FONT
    rpr = run._r.get_or_add_rPr()
    for tag, face in (("a:ea", CJK_FONT), ("a:cs", LATIN_FONT)):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", face)


def _text_box(slide, left, top, width, height, paragraphs: list[tuple[str, int, tuple, bool]], bullets: bool = False):
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for i, (text, size, color, bold) in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.space_after = Pt(6)
        run = para.add_run()
        run.text = ("• " if bullets else "") + text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor(*color)
        _fonts(run)
    return box


def _image_box(slide, image: Path, left, top, width, height):
    """The picture scaled into the box, its aspect kept, centred."""
    from PIL import Image as PILImage

    with PILImage.open(image) as im:
        w, h = im.size
    scale = min(width / w, height / h)
    pw, ph = int(w * scale), int(h * scale)
    return slide.shapes.add_picture(str(image), left + (width - pw) // 2, top + (height - ph) // 2, pw, ph)


def _table_layout(rows: list[list[str]], width) -> tuple[list[int], int, list[float]]:
    """Column widths (EMU), font size (pt) and each row's height (pt) once its cells wrap."""
    from pptx.util import Emu

    n_cols = len(rows[0])
    # The "held" columns are narrow; "measured" is the widest.
    weights = [0.45 if c == n_cols - 1 or (n_cols == 6 and c == 3) else 1.5 if c == 2 else 1.0 for c in range(n_cols)]
    widths = [int(width * w / sum(weights)) for w in weights]
    size = 12 if n_cols <= 4 and len(rows) <= 4 else 10
    heights = [max(lines_needed(cell, Emu(w).pt - 10, size) for cell, w in zip(row, widths)) * size * 1.2 + 8 for row in rows]
    return widths, size, heights


def _table(slide, rows: list[list[str]], left, top, width) -> int:
    """The claim table; returns its height (EMU) as laid out."""
    from pptx.util import Pt

    widths, size, heights = _table_layout(rows, width)
    total = int(Pt(sum(heights)))
    table = slide.shapes.add_table(len(rows), len(rows[0]), left, top, width, total).table
    for i, w in enumerate(widths):
        table.columns[i].width = w
    for r, row in enumerate(rows):
        table.rows[r].height = int(Pt(heights[r]))
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = ""
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = value
            run.font.size = Pt(size)
            run.font.bold = r == 0
            _fonts(run)
    return total


def add_slide(prs, s: Slide) -> None:
    from pptx.util import Emu, Inches

    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank: every box is placed here, none inherited
    W, H = Inches(WIDTH_IN), Inches(HEIGHT_IN)
    m = Inches(MARGIN_IN)
    inner_w = W - 2 * m
    if s.kind in ("cover", "title"):
        title_size = fit_size([s.title], Emu(inner_w).pt, Inches(1.9).pt, largest=36, smallest=20, gap_pt=0)
        _text_box(slide, m, Inches(1.0), inner_w, Inches(1.9), [(s.title, title_size, (0x10, 0x20, 0x50), True)])
        if s.subtitle:
            sub = fit_size([s.subtitle], Emu(inner_w).pt, Inches(0.7).pt, largest=20, smallest=11, gap_pt=0)
            _text_box(slide, m, Inches(3.0), inner_w, Inches(0.7), [(s.subtitle, sub, (0x50, 0x50, 0x50), False)])
        body_top, body_h = Inches(3.9), Inches(3.2)
    else:
        size = fit_size([s.title], Emu(inner_w).pt, Inches(TITLE_H_IN).pt, largest=30, smallest=16, gap_pt=0)
        _text_box(slide, m, Inches(TITLE_TOP_IN), inner_w, Inches(TITLE_H_IN), [(s.title, size, (0x10, 0x20, 0x50), True)])
        body_top = Inches(BODY_TOP_IN)
        body_h = H - body_top - Inches(FOOTER_H_IN) - Inches(0.2)
    text_w = inner_w
    table_h = _table(slide, s.table, m, body_top, inner_w) + Inches(0.2) if s.table else 0
    below_table = body_top + table_h
    if s.image is not None and s.kind not in ("cover", "title"):
        text_w = int(inner_w * TEXT_SHARE) if s.bullets else 0
        img_left = m + text_w + (Inches(0.2) if s.bullets else 0)
        img_w = inner_w - (img_left - m)
        label_h = Inches(0.35) if s.image_label else 0
        _image_box(slide, s.image.path, img_left, below_table, img_w, body_h - table_h - label_h)
        if s.image_label:
            _text_box(slide, img_left, body_top + body_h - label_h, img_w, label_h,
                      [(s.image_label, 11, (0x60, 0x60, 0x60), False)])
    if s.bullets:
        height = body_h - table_h
        size = fit_size([b.text for b in s.bullets], Emu(text_w).pt, Emu(height).pt, largest=24 if s.kind != "title" else 22)
        _text_box(slide, m, below_table, text_w, height, [(b.text, size, COLORS[b.kind], False) for b in s.bullets], bullets=True)
    if s.footer:
        _text_box(slide, m, H - Inches(FOOTER_H_IN) - Inches(0.1), inner_w, Inches(FOOTER_H_IN),
                  [(s.footer, 12, (0x50, 0x50, 0x50), False)])
    if s.notes:
        slide.notes_slide.notes_text_frame.text = "\n\n".join(s.notes)


def write_pptx(slides: list[Slide], out: Path) -> int:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(WIDTH_IN), Inches(HEIGHT_IN)
    for s in slides:
        add_slide(prs, s)
    partial = out.with_name(out.name + ".partial")
    prs.save(str(partial))
    partial.replace(out)
    return len(slides)
