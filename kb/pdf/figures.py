"""Figure images: the graphics above a figure's caption, clipped and rendered to PNG."""

from __future__ import annotations

from pathlib import Path

from kb.pdf.model import Caption, Document

_DPI = 150
_MIN_SIDE = 40  # points; anything smaller is a rule or an icon, not a figure


def extract_first_figure(path: str | Path, out_path: str | Path, doc: Document | None = None) -> Path | None:
    """Render the first captioned figure to out_path (PNG). None when no figure has a caption
    or no graphics could be located for it."""
    import pymupdf

    if doc is None:
        from kb.pdf.extract import extract

        doc = extract(path)
    figures = [c for c in doc.captions if c.kind == "figure" and c.bbox]
    with pymupdf.open(str(path)) as pdf:
        for caption in figures:
            page = pdf[caption.page - 1]
            clip = figure_region(page, caption)
            if clip is None:
                continue
            out = Path(out_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.get_pixmap(clip=clip, dpi=_DPI).save(str(out))
            return out
    return None


def figure_region(page, caption: Caption):
    """The union of images and vector drawings just above the caption, in its column span."""
    import pymupdf

    cap = pymupdf.Rect(caption.bbox)
    top_limit = page.rect.y0 + 20
    pieces = []
    for info in page.get_image_info():
        pieces.append(pymupdf.Rect(info["bbox"]))
    for drawing in page.get_drawings():
        pieces.append(pymupdf.Rect(drawing["rect"]))
    # Graphics sit above their caption, overlapping it horizontally, not too far up.
    above = [r for r in pieces if r.y1 <= cap.y0 + 4 and r.y0 >= top_limit and r.x1 > cap.x0 - 30 and r.x0 < cap.x1 + 30
             and cap.y0 - r.y1 < 0.6 * page.rect.height]
    if not above:
        return None
    nearest = max(r.y1 for r in above)
    # Keep the cluster that reaches down to the caption: drop pieces separated by a big gap.
    above.sort(key=lambda r: -r.y1)
    region = pymupdf.Rect(above[0])
    for rect in above[1:]:
        if rect.y1 >= region.y0 - 25:
            region |= rect
    if nearest < cap.y0 - 80 or region.width < _MIN_SIDE or region.height < _MIN_SIDE:
        return None
    return (region + (-4, -4, 4, 4)) & page.rect
