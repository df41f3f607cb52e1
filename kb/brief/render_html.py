"""The deck as one self-contained HTML file (images inlined): a 16:9 box per slide, its speaker
notes beneath it."""

from __future__ import annotations

import base64
import html

from kb.brief.deck import Slide

CSS = """
body { font-family: sans-serif; background: #eee; margin: 1em; color: #222; }
section { background: #fff; width: 960px; min-height: 540px; margin: 0 auto 0.6em; padding: 24px 36px; box-sizing: border-box;
          box-shadow: 0 1px 3px #999; }
h1 { font-size: 30pt; color: #102050; } h2 { font-size: 22pt; color: #102050; margin: 0 0 0.4em; }
.sub { color: #555; } li { margin-bottom: 0.3em; font-size: 16pt; } li.quote { color: #445577; } li.notice { color: #808080; font-style: italic; }
img { max-width: 100%; max-height: 330px; display: block; } .label, .footer { color: #606060; font-size: 10pt; }
table { border-collapse: collapse; font-size: 10pt; } td, th { border: 1px solid #aaa; padding: 3px 6px; text-align: left; }
.notes { width: 960px; margin: 0 auto 1.5em; font-size: 10pt; color: #444; white-space: pre-wrap; }
"""


def _e(text: str) -> str:
    return html.escape(text or "")


def _src(path) -> str:
    kind = "jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "png"
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def slide_html(s: Slide) -> str:
    head = "h1" if s.kind in ("cover", "title") else "h2"
    parts = [f"<{head}>{_e(s.title)}</{head}>"]
    if s.subtitle:
        parts.append(f'<p class="sub">{_e(s.subtitle)}</p>')
    if s.table:
        parts.append("<table><tr>" + "".join(f"<th>{_e(c)}</th>" for c in s.table[0]) + "</tr>"
                     + "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in s.table[1:]) + "</table>")
    if s.bullets:
        parts.append("<ul>" + "".join(f'<li class="{b.kind}">{_e(b.text)}</li>' for b in s.bullets) + "</ul>")
    if s.image is not None:
        parts.append(f'<img src="{_src(s.image.path)}" alt="{_e(s.image.caption)}"/>')
        if s.image_label:
            parts.append(f'<p class="label">{_e(s.image_label)}</p>')
    if s.footer:
        parts.append(f'<p class="footer">{_e(s.footer)}</p>')
    notes = f'<div class="notes">{_e(chr(10).join(s.notes))}</div>' if s.notes else ""
    return f"<section>{''.join(parts)}</section>{notes}"


def document(slides: list[Slide], lang: str) -> str:
    title = slides[0].title if slides else "brief"
    return (f'<!DOCTYPE html><html lang="{"zh" if lang == "zh" else "en"}"><head><meta charset="utf-8"/><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(slide_html(s) for s in slides)}</body></html>")
