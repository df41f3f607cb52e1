"""Figures drawn with PyMuPDF vector shapes: a bar chart, a line chart, a block diagram.

They are real drawings in the page's content stream (what `Page.get_drawings()` reports), so
figure detection and page rendering have something genuine to work on.
"""

from __future__ import annotations

import pymupdf

from kb.demo.corpus import Figure

INK = (0.15, 0.15, 0.15)
FILL = (0.36, 0.55, 0.78)
ACCENT = (0.85, 0.45, 0.2)
LABEL_FONT = "helv"
LABEL_SIZE = 7.0


def draw(page: pymupdf.Page, rect: pymupdf.Rect, figure: Figure) -> None:
    drawers = {"bar": _bar_chart, "line": _line_chart, "blocks": _block_diagram}
    drawers[figure.kind](page, rect, figure)


def _label(page: pymupdf.Page, center_x: float, baseline: float, text: str, size: float = LABEL_SIZE) -> None:
    width = pymupdf.get_text_length(text, fontname=LABEL_FONT, fontsize=size)
    page.insert_text((center_x - width / 2, baseline), text, fontname=LABEL_FONT, fontsize=size, color=INK)


def _format_value(value: float) -> str:
    return f"{value:g}"


def _plot_area(rect: pymupdf.Rect) -> pymupdf.Rect:
    # Room on the left for the unit, at the bottom for category labels, at the top for values.
    return pymupdf.Rect(rect.x0 + 30, rect.y0 + 12, rect.x1 - 10, rect.y1 - 18)


def _axes(page: pymupdf.Page, plot: pymupdf.Rect, unit: str) -> None:
    shape = page.new_shape()
    shape.draw_line(plot.bl, plot.br)
    shape.draw_line(plot.bl, plot.tl)
    shape.finish(color=INK, width=0.8, closePath=False)
    shape.commit()
    if unit:
        page.insert_text((plot.x0 - 26, plot.y0 - 4), unit, fontname=LABEL_FONT, fontsize=LABEL_SIZE - 0.5, color=INK)


def _bar_chart(page: pymupdf.Page, rect: pymupdf.Rect, figure: Figure) -> None:
    plot = _plot_area(rect)
    _axes(page, plot, figure.unit)
    top = max(figure.values) * 1.1
    slot = plot.width / len(figure.values)
    shape = page.new_shape()
    for i, value in enumerate(figure.values):
        x0 = plot.x0 + i * slot + slot * 0.2
        height = plot.height * value / top
        shape.draw_rect(pymupdf.Rect(x0, plot.y1 - height, x0 + slot * 0.6, plot.y1))
    shape.finish(color=INK, fill=FILL, width=0.5)
    shape.commit()
    for i, (label, value) in enumerate(zip(figure.labels, figure.values)):
        center = plot.x0 + (i + 0.5) * slot
        _label(page, center, plot.y1 - plot.height * value / top - 3, _format_value(value))
        _label(page, center, plot.y1 + 10, label)


def _line_chart(page: pymupdf.Page, rect: pymupdf.Rect, figure: Figure) -> None:
    plot = _plot_area(rect)
    _axes(page, plot, figure.unit)
    low, high = min(figure.values), max(figure.values)
    span = (high - low) or 1.0
    step = plot.width / max(1, len(figure.values) - 1)
    points = [
        pymupdf.Point(plot.x0 + i * step, plot.y1 - 0.1 * plot.height - 0.8 * plot.height * (v - low) / span)
        for i, v in enumerate(figure.values)
    ]
    shape = page.new_shape()
    shape.draw_polyline(points)
    shape.finish(color=ACCENT, width=1.4, closePath=False)
    for point in points:
        shape.draw_circle(point, 2.0)
    shape.finish(color=ACCENT, fill=ACCENT)
    shape.commit()
    for point, label, value in zip(points, figure.labels, figure.values):
        _label(page, point.x, point.y - 5, _format_value(value))
        _label(page, point.x, plot.y1 + 10, label)


def _block_diagram(page: pymupdf.Page, rect: pymupdf.Rect, figure: Figure) -> None:
    count = len(figure.labels)
    gap = 18.0
    width = (rect.width - gap * (count - 1)) / count
    middle = rect.y0 + rect.height / 2
    boxes = [pymupdf.Rect(rect.x0 + i * (width + gap), middle - 18, rect.x0 + i * (width + gap) + width, middle + 18) for i in range(count)]
    shape = page.new_shape()
    for box in boxes:
        shape.draw_rect(box, radius=0.15)
    shape.finish(color=INK, fill=(0.9, 0.93, 0.97), width=0.7)
    for left, right in zip(boxes, boxes[1:]):
        shape.draw_line((left.x1 + 2, middle), (right.x0 - 2, middle))
        shape.draw_polyline([(right.x0 - 6, middle - 3), (right.x0 - 2, middle), (right.x0 - 6, middle + 3)])
    shape.finish(color=INK, width=0.8, closePath=False)
    shape.commit()
    for box, label in zip(boxes, figure.labels):
        inner = pymupdf.Rect(box.x0 + 2, box.y0 + 8, box.x1 - 2, box.y1)
        page.insert_textbox(inner, label, fontname=LABEL_FONT, fontsize=LABEL_SIZE, color=INK, align=pymupdf.TEXT_ALIGN_CENTER)
