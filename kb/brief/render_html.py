"""The brief as one self-contained HTML file (images inlined), and the HTML the PDF is made from."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from kb.brief.labels import labels
from kb.brief.model import SECTION_KEYS, Brief, PaperBrief, SectionText

CSS = """
body { font-family: sans-serif; max-width: 52em; margin: 2em auto; line-height: 1.45; color: #222; }
h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 1.4em; } h3 { font-size: 12pt; margin-bottom: 0.2em; }
blockquote { margin: 0.3em 0 0.3em 1em; padding-left: 0.6em; border-left: 3px solid #999; color: #444; }
.cite { font-style: italic; font-size: 9pt; } .gap { color: #777; font-style: italic; }
table { border-collapse: collapse; } td, th { border: 1px solid #aaa; padding: 3px 6px; font-size: 9pt; }
img { max-width: 100%; }
"""


def _e(text: str) -> str:
    return html.escape(text or "")


def _section(text: SectionText | None, L: dict) -> str:
    if text is None:
        return f'<p class="gap">{_e(L["empty_section"])}</p>'
    if text.is_quote:
        return f"<blockquote>{_e(text.text)}<br/><small>— {_e(L['quoted'])} ({_e(text.quoted_from)})</small></blockquote>"
    return "".join(f"<p>{_e(par)}</p>" for par in text.text.split("\n\n"))


def _img_src(path: Path, inline: bool) -> str:
    if inline:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    return path.name


def paper_html(p: PaperBrief, L: dict, inline: bool) -> str:
    parts = [f"<h2>{_e(p.title)}</h2>", f'<p class="cite">{_e(p.citation)}</p>']
    for key in SECTION_KEYS:
        parts.append(f"<h3>{_e(L[key])}</h3>{_section(p.sections.get(key), L)}")
    if p.figure:
        parts.append(f"<h3>{_e(L['figure'])}</h3><img src=\"{_img_src(p.figure, inline)}\" width=\"420\"/>")
        if p.figure_caption:
            parts.append(f'<p class="cite">{_e(p.figure_caption)}</p>')
    for gap in p.gaps:
        key = {"no_pdf": "no_pdf", "no_figure": "no_figure"}.get(gap)
        parts.append(f'<p class="gap">{_e(L[key]) if key else _e(gap)}</p>')
    if p.highlights:
        items = "".join(
            f"<li>“{_e(h.get('text') or '')}”{' (p. ' + _e(h['page_label']) + ')' if h.get('page_label') else ''}"
            f"{' — ' + _e(h['comment']) if h.get('comment') else ''}</li>" for h in p.highlights
        )
        parts.append(f"<h3>{_e(L['highlights'])}</h3><ul>{items}</ul>")
    for r in p.runs:
        measured = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in list(r.metrics.items())[:6])
        verdict = L["held"] if r.passed else L["not_held"]
        parts.append(
            f"<h3>{_e(L['runs'])}: {_e(r.reproduction)} ({_e(verdict)})</h3>"
            f"<table><tr><th>{_e(L['claim'])}</th><th>{_e(L['measured'])}</th></tr>"
            f"<tr><td>{_e(r.claim)}</td><td>{_e(measured)}</td></tr></table>"
        )
    if p.cards_reviewed:
        parts.append(f"<p>{_e(L['cards'])}: {p.cards_reviewed}</p>")
    return "\n".join(parts)


def week_html(brief: Brief, L: dict) -> str:
    w = brief.week
    out = [f"<h2>{_e(L['week'])}</h2><ul>",
           f"<li>{_e(L['read_vs_planned'])}: {len(w.read)} / {len(w.planned)}</li>",
           f"<li>{_e(L['reviews'])}: {w.reviews}" + (f" · {_e(L['retention'])}: {w.retention:.0%}" if w.retention is not None else "") + "</li></ul>"]
    for key, items in (("open_items", w.open_items), ("next_week", w.next_week), ("suggested", w.suggested)):
        if items:
            out.append(f"<h3>{_e(L[key])}</h3><ul>" + "".join(f"<li>{_e(i.get('title') or i.get('text') or '')}</li>" for i in items) + "</ul>")
    return "\n".join(out)


def document(brief: Brief, *, inline_images: bool = True) -> str:
    L = labels(brief.lang)
    body = [f"<h1>{_e(L['title'])}</h1>", f"<p>{_e(L['period'])}: {brief.since[:10]} – {brief.until[:10]}</p>"]
    if not brief.papers:
        body.append(f"<p>{_e(L['nothing_read'])}</p>")
    body += [paper_html(p, L, inline_images) for p in brief.papers]
    body.append(week_html(brief, L))
    lang = "zh" if brief.lang == "zh" else "en"
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"/><title>{_e(L["title"])}</title>'
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")
