"""Images for the brief, cropped from the paper's pages: the key figure and the main results
table, each with its caption and page number, rendered small (JPEG) so a deck stays light."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from kb.pdf.model import Caption, Document

log = logging.getLogger(__name__)

_DPI = 120  # enough to read a table on a projector; a 6-page PDF stays well under 1 MB
_MAX_PX = 1400  # the longer side of a cropped image, at most
_JPEG_QUALITY = 80

# Words in a table caption that say it holds results, and words that say it does not.
_RESULT_WORDS = re.compile(r"result|performance|accuracy|bleu|f1|perplexit|score|compar|error|speed|runtime|memory|"
                           r"benchmark|test|dev\b|glue|squad|mmlu|elo|wer", re.I)
_OTHER_WORDS = re.compile(r"statistic|hyperparameter|example|pointer|dataset detail|notation|setup|summary of|"
                          r"configuration|list of|overview of the data|variation|ablation|different hardware", re.I)


@dataclass
class Crop:
    path: Path
    caption: str
    page: int  # 1-based, as a reader counts


def _save(page, clip, out: Path) -> Path:
    import pymupdf

    rect = pymupdf.Rect(clip)
    dpi = _DPI
    longest = max(rect.width, rect.height) * dpi / 72
    if longest > _MAX_PX:
        dpi = int(dpi * _MAX_PX / longest)
    out.parent.mkdir(parents=True, exist_ok=True)
    pix = page.get_pixmap(clip=rect, dpi=dpi, alpha=False)
    pix.save(str(out), jpg_quality=_JPEG_QUALITY)
    return out


def key_figure(pdf: str, doc: Document, out_dir: Path, citekey: str) -> Crop | None:
    """The first captioned figure whose graphics can be located above its caption."""
    import pymupdf

    from kb.pdf.figures import figure_region

    with pymupdf.open(pdf) as book:
        for caption in (c for c in doc.captions if c.kind == "figure" and c.bbox):
            page = book[caption.page - 1]
            clip = figure_region(page, caption)
            if clip is None:
                continue
            path = _save(page, clip, out_dir / f"{citekey}-figure.jpg")
            return Crop(path, _caption_text(caption), caption.page)
    return None


def _caption_text(caption: Caption) -> str:
    text = " ".join(caption.text.split())
    return f"{caption.label}: {text}" if text else caption.label


def _body_end(doc: Document) -> int:
    """The page where references or appendices begin: tables after it are not the main results."""
    pages = [s.start_page for s in doc.sections if s.kind in ("references", "appendix")]
    return min(pages) if pages else doc.page_count + 1


def results_captions(doc: Document) -> list[Caption]:
    """Table captions that look like results, in the body of the paper, most results-like first."""
    from kb.brief.numbers import has_measurement

    end = _body_end(doc)
    scored = []
    for order, caption in enumerate(c for c in doc.captions if c.kind == "table" and c.bbox):
        score = 2 * len(_RESULT_WORDS.findall(caption.text)) - 4 * len(_OTHER_WORDS.findall(caption.text))
        score += 3 if has_measurement(caption.text) or "state-of-the-art" in caption.text.lower() else 0
        if caption.page >= end:
            score -= 10
        if score > 0:
            scored.append((-score, order, caption))
    return [c for _, _, c in sorted(scored, key=lambda t: (t[0], t[1]))]


def results_table(pdf: str, doc: Document, out_dir: Path, citekey: str) -> Crop | None:
    """The main results table cropped from its page: the table PyMuPDF's finder locates next to
    the caption, else the block of horizontal rules just below (or above) the caption."""
    import pymupdf

    with pymupdf.open(pdf) as book:
        for caption in results_captions(doc)[:3]:
            page = book[caption.page - 1]
            cap = pymupdf.Rect(caption.bbox)
            region = _found_table(page, cap) or _ruled_region(page, cap)
            if region is None:
                continue
            if region.height < 24 or region.width < 60:
                continue  # a rule or two, or the caption alone: not a table
            region = ((region | cap) + (-4, -4, 4, 4)) & page.rect
            path = _save(page, region, out_dir / f"{citekey}-table.jpg")
            return Crop(path, _caption_text(caption), caption.page)
    return None


def _found_table(page, cap):
    import pymupdf

    try:
        tables = page.find_tables().tables
    except Exception as exc:  # the finder is heuristic; a failure leaves the rule-based crop
        log.debug("find_tables failed: %s", exc)
        return None
    best = None
    for table in tables:
        box = pymupdf.Rect(table.bbox)
        if box.x1 < cap.x0 - 20 or box.x0 > cap.x1 + 20:
            continue
        gap = box.y0 - cap.y1 if box.y0 >= cap.y1 - 2 else cap.y0 - box.y1
        if gap < -2 or gap > 60:
            continue
        if best is None or gap < best[0]:
            best = (gap, box)
    return best[1] if best else None


def _ruled_region(page, cap):
    """Booktabs tables are text between horizontal rules: the rules nearest the caption, below it
    (caption on top) or above it (caption underneath), joined into one region."""
    import pymupdf

    rules = [pymupdf.Rect(d["rect"]) for d in page.get_drawings()]
    rules = [r for r in rules if r.height <= 2.5 and r.width >= 40 and r.x1 > cap.x0 - 20 and r.x0 < cap.x1 + 20]
    below = sorted((r for r in rules if r.y0 >= cap.y1 - 2 and r.y0 - cap.y1 < 400), key=lambda r: r.y0)
    above = sorted((r for r in rules if r.y1 <= cap.y0 + 2 and cap.y0 - r.y1 < 400), key=lambda r: -r.y1)
    options = []
    for side, ordered, gap in (("below", below, below[0].y0 - cap.y1 if below else None),
                               ("above", above, cap.y0 - above[0].y1 if above else None)):
        if not ordered or gap is None or gap > 40:
            continue
        region = pymupdf.Rect(ordered[0])
        for rule in ordered[1:]:
            # rules of one table are at most a few text lines apart
            distance = rule.y0 - region.y1 if side == "below" else region.y0 - rule.y1
            if distance > 160:
                break
            region |= rule
        if len(ordered) >= 2:
            options.append((gap, region))
    if not options:
        return None
    return min(options, key=lambda o: o[0])[1]
