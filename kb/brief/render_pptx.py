"""The deck as PowerPoint (python-pptx): 16:9, a font pair that holds CJK, text sized to its box,
images kept inside theirs, the full text in the speaker notes."""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from kb.brief.deck import Slide

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


def _table(slide, rows: list[list[str]], left, top, width, height):
    from pptx.util import Pt

    n_rows, n_cols = len(rows), len(rows[0])
    shape = slide.shapes.add_table(n_rows, n_cols, left, top, width, min(height, int(Pt(22)) * n_rows))
    table = shape.table
    narrow = [i for i, h in enumerate(rows[0]) if i == n_cols - 1 or (n_cols == 6 and i == 3)]
    unit = width / (n_cols + 2 - 0.6 * len(narrow))
    for i in range(n_cols):
        table.columns[i].width = int(unit * (0.4 if i in narrow else 1.0 if i != 2 else 1.6))
    size = 12 if n_cols <= 4 and n_rows <= 4 else 10
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = ""
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = value
            run.font.size = Pt(size)
            run.font.bold = r == 0
            _fonts(run)
    return shape


def add_slide(prs, s: Slide) -> None:
    from pptx.util import Emu, Inches, Pt

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
    if s.image is not None and s.kind not in ("cover", "title"):
        text_w = int(inner_w * (0.42 if s.bullets else 0.0))
        img_left = m + text_w + (Inches(0.2) if s.bullets else 0)
        img_w = inner_w - (img_left - m)
        label_h = Inches(0.35)
        top = body_top
        if s.table:
            table_h = Inches(0.3) * len(s.table) + Inches(0.2)
            top = body_top + table_h
        _image_box(slide, s.image.path, img_left, top, img_w, body_h - (top - body_top) - label_h)
        if s.image_label:
            _text_box(slide, img_left, body_top + body_h - label_h, img_w, label_h,
                      [(s.image_label, 11, (0x60, 0x60, 0x60), False)])
    if s.table:
        tw = inner_w if s.image is None or not s.bullets else inner_w
        _table(slide, s.table, m, body_top, tw, Inches(0.3) * len(s.table))
    if s.bullets:
        texts = [b.text for b in s.bullets]
        top = body_top
        height = body_h
        if s.table and s.image is None:
            top = body_top + Inches(0.32) * len(s.table) + Inches(0.3)
            height = body_h - (top - body_top)
        elif s.table:
            text_w = int(inner_w * 0.42)
            top = body_top + Inches(0.32) * len(s.table) + Inches(0.3)
            height = body_h - (top - body_top)
        size = fit_size(texts, Emu(text_w).pt, Emu(height).pt, largest=24 if s.kind != "title" else 22)
        _text_box(slide, m, top, text_w, height, [(b.text, size, COLORS[b.kind], False) for b in s.bullets], bullets=True)
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
