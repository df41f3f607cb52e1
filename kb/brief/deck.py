"""The brief as slides: what each slide says, in presentation order, before any file format.

The PowerPoint deck, the PDF and the Marp slides are drawn from this one model. A slide holds at
most MAX_BULLETS bullets of at most MAX_CHARS characters; what does not fit goes, whole, to the
speaker notes, so nothing the user wrote is lost and nothing runs off the slide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.brief.labels import labels
from kb.brief.model import Brief, Image, PaperBrief, RunSummary

MAX_BULLETS = 6
MAX_CHARS = 90

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])")


@dataclass
class Bullet:
    text: str
    kind: str = "own"  # own: the user's words; quote: the paper's words; notice: a statement about the content


@dataclass
class Slide:
    title: str
    bullets: list[Bullet] = field(default_factory=list)
    subtitle: str = ""
    image: Image | None = None
    image_label: str = ""  # "Table 4, p. 8"
    table: list[list[str]] | None = None  # header row first
    footer: str = ""
    notes: list[str] = field(default_factory=list)  # speaker notes: the full text
    kind: str = "content"  # cover, title, content, run, week


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """The first sentence, cut at a word (or, in Chinese, a character) to at most `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    first = _SENTENCE.split(text, maxsplit=1)[0]
    if 0.6 * limit <= len(first) <= limit:
        return first
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:，；：、 ") + "…"


def measurement_weight(clause: str) -> int:
    """How much a clause says about a result: ratios and percentages most, sizes (175B) least."""
    from kb.brief.numbers import _UNIT

    strong = len(re.findall(r"\d\s*(?:%|×|x\b|times\b|倍)|from \d[\d.,]* to \d|by \d", clause))
    return 2 * strong + len(_UNIT.findall(clause))


def number_clause(sentence: str, limit: int) -> str:
    """A long sentence with a measurement, cut to the clause that carries the number (so the slide
    keeps "by 10,000 times", not "Compared to GPT-3 175B fine-tuned with Adam, ...")."""
    from kb.brief.numbers import has_measurement

    sentence = " ".join(sentence.split())
    if len(sentence) <= limit:
        return sentence
    parts = [p for p in re.split(r"(?<=[,;:])\s+|(?<=[，；：])", sentence) if p]
    scored = [(measurement_weight(c), -i, i) for i, c in enumerate(parts) if has_measurement(c)]
    for _, _, i in sorted(scored, reverse=True)[:1]:
        clause = parts[i]
        text, used = clause, i + 1
        for nxt in parts[i + 1:]:
            if len(text) + 1 + len(nxt) > limit - 2:
                break
            glue = "" if text[-1] in "，；：" else " "
            text, used = f"{text}{glue}{nxt}", used + 1
        before = "…" if i else ""
        after = "…" if used < len(parts) else ""
        if len(before + text + after) <= limit:
            return before + text + after
        # one long clause: from a few words before its first number
        first = re.search(r"\d", text)
        start = text.rfind(" ", 0, max(0, first.start() - limit // 3)) + 1 if first else 0
        return ("…" if i or start else "") + shorten(text[start:], limit - 1)
    return shorten(sentence, limit)


class _Builder:
    def __init__(self, slide: Slide, quote_tag: str = "") -> None:
        self.slide = slide
        self.quote_tag = quote_tag  # " (paper)": the paper's words are marked as such on the slide

    def add(self, text: str, kind: str = "own") -> None:
        """A bullet on the slide while there is room; the whole text always in the notes."""
        text = " ".join(text.split())
        if not text:
            return
        if len(self.slide.bullets) < MAX_BULLETS:
            tag = self.quote_tag if kind == "quote" else ""
            short = (number_clause if kind == "quote" else shorten)(text, MAX_CHARS - len(tag))
            self.slide.bullets.append(Bullet(short + tag, kind))
            if short != text:
                self.slide.notes.append(text)
        else:
            self.slide.notes.append(text)


def _B(slide: Slide, L: dict) -> _Builder:
    return _Builder(slide, f" ({L['paper_said']})")


def _section_bullets(b: _Builder, section, L: dict, empty: str | None) -> None:
    if section is None:
        if empty:
            b.add(L[empty], "notice")
        return
    for block in section.blocks:
        b.add(block, "quote" if section.is_quote else "own")
    if section.is_quote:
        b.slide.notes.append(f"{L['quoted']} ({section.quoted_from})")


def _page(L: dict, image: Image) -> str:
    label = image.caption.split(":", 1)[0]
    return f"{label}, {L['page']} {image.page}" + (" 页" if L["page"] == "第" else "")


def paper_slides(p: PaperBrief, L: dict) -> list[Slide]:
    slides: list[Slide] = []
    meta = " · ".join(x for x in (p.authors, p.venue, str(p.year) if p.year else "") if x)
    title = Slide(p.title, subtitle=meta, kind="title", notes=[p.citation])
    b = _B(title, L)
    if p.takeaway is not None:
        b.add(p.takeaway.text, "quote" if p.takeaway.is_quote else "own")
    for notice in p.notices:
        b.add(L[notice], "notice")
    slides.append(title)

    problem = Slide(f"{L['problem']} · {_short_title(p.title)}")
    _section_bullets(_B(problem, L), p.sections.get("problem"), L, "empty_section")
    slides.append(problem)

    method = Slide(f"{L['method']} · {_short_title(p.title)}", image=p.figure)
    _section_bullets(_B(method, L), p.sections.get("method"), L, "empty_section")
    if p.figure is not None:
        method.image_label = _page(L, p.figure)
        method.notes.append(p.figure.caption)
    elif "no_pdf" in p.gaps:
        _B(method, L).add(L["no_pdf"], "notice")
    else:
        _B(method, L).add(L["no_figure"], "notice")
    slides.append(method)

    results = Slide(f"{L['results']} · {_short_title(p.title)}", image=p.table)
    b = _B(results, L)
    own = p.sections.get("results")
    if own is not None and not own.is_quote:
        for block in own.blocks:
            b.add(block)
    for sentence, where in p.key_numbers[: max(1, MAX_BULLETS - len(results.bullets) - 1)]:
        b.add(sentence, "quote")
        results.notes.append(f"{L['quoted']} ({where})")
    if not results.bullets:
        b.add(L["no_numbers"], "notice")
    if p.table is not None:
        results.image_label = _page(L, p.table)
        results.notes.append(p.table.caption)
    elif "no_pdf" not in p.gaps:
        b.add(L["no_table"], "notice")
    slides.append(results)

    notes = Slide(f"{L['notes_questions']} · {_short_title(p.title)}")
    b = _B(notes, L)
    for key in ("questions", "limitations", "notes"):
        section = p.sections.get(key)
        if section is not None:
            _section_bullets(b, section, L, None)
    for h in p.highlights:
        text = (h.get("text") or "").strip()
        if text:
            b.add(f"“{text}”" + (f" — {h['comment'].strip()}" if h.get("comment") else ""))
    if not notes.bullets:
        b.add(L["no_note"] if "no_note" in p.notices else L["empty_section"], "notice")
    slides.append(notes)

    slides = _fold_empty(slides)
    for run in p.runs:
        slides.append(run_slide(run, p, L))
    return slides


def _fold_empty(slides: list[Slide]) -> list[Slide]:
    """A slide that would only say what is missing is not shown: its lines move to the paper's
    title slide (once each), so there is never a slide of placeholders."""
    title, rest = slides[0], []
    for slide in slides[1:]:
        if slide.image is None and not slide.table and all(b.kind == "notice" for b in slide.bullets):
            for b in slide.bullets:
                if all(b.text != t.text for t in title.bullets):
                    title.bullets.append(b)
        else:
            rest.append(slide)
    return [title] + rest


def _short_title(title: str) -> str:
    head = re.split(r"[:：]", title, maxsplit=1)[0].strip()
    return head if 2 <= len(head) <= 40 else shorten(title, 40)


def _held(value, L: dict) -> str:
    return {True: "✓", False: "✗"}.get(value, "–")


def run_slide(run: RunSummary, p: PaperBrief, L: dict) -> Slide:
    slide = Slide(f"{L['runs']} · {run.reproduction} · {run.verdict_label}", image=run.curve, kind="run")
    if not run.claims and run.curve is None:  # cancelled, refused, or nothing measured: one line says so
        reason = run.error or run.verdict_label
        _B(slide, L).add(f"{L['no_claims']} ({reason})", "notice")
    elif run.claims:
        header = [L["check"], L["paper_said"], L["measured"], L["held"]]
        if run.has_naive:
            header += [L["naive"], L["naive"] + " " + L["held"]]
        rows = [header]
        for c in run.claims[:5]:
            row = [shorten(str(c.get("check", "")), 60), shorten(str(c.get("paper", "")), 48),
                   shorten(str(c.get("measured", "")), 60), _held(c.get("held"), L)]
            if run.has_naive:
                row += [shorten(str(c.get("naive", "")), 48), _held(c.get("naive_held"), L)]
            rows.append(row)
            slide.notes.append(f"{c.get('check')}: {L['paper_said']} {c.get('paper')}; {L['measured']} {c.get('measured')}"
                               + (f"; {L['naive']} {c.get('naive')}" if c.get("naive") else ""))
        slide.table = rows
    else:
        _B(slide, L).add(L["no_claims"], "notice")
    if run.curve is None and run.claims:
        _B(slide, L).add(L["no_curve"], "notice")
    facts = [run.verdict_label, f"{L['device']} {run.device or '?'}", f"{L['seed']} {run.seed if run.seed is not None else '?'}",
             f"{L['wall_time']} {run.seconds:.1f} s" if run.seconds is not None else "", f"run {run.run_id}"]
    slide.footer = " · ".join(f for f in facts if f)
    if run.error:
        slide.notes.append(run.error)
    return slide


def _weeks(L: dict, weeks: list[int]) -> str:
    span = f"{weeks[0]}–{weeks[-1]}" if len(weeks) > 1 else str(weeks[0])
    return L["plan_weeks"].format(span=span, s="s" if len(weeks) > 1 else "")


def week_slides(brief: Brief, L: dict) -> list[Slide]:
    w = brief.week
    slide = Slide(L["progress"], kind="week")
    b = _B(slide, L)
    if not w.plans:
        b.add(L["no_plan"], "notice")
    for plan in w.plans:
        weeks = _weeks(L, plan.weeks)
        if plan.planned:
            names = ", ".join(_short_title(i.get("title") or i.get("text") or "") for i in plan.read) or "—"
            b.add(f"{plan.plan} ({weeks}): {L['planned_read']} {len(plan.read)} / {len(plan.planned)}: {names}")
        else:
            b.add(f"{plan.plan} ({weeks}): {L['nothing_planned']}", "notice")
    planned_ids = {i.get("paper_id") for i in w.planned}
    extra = [r for r in w.read if r["id"] not in planned_ids]
    if extra:
        b.add(f"{L['also_read']}: " + ", ".join(_short_title(r["title"]) for r in extra))
    b.add(f"{L['reviews']}: {w.reviews}" + (f" · {L['retention']}: {w.retention:.0%}" if w.retention is not None else ""))
    slides = [slide]
    nxt = Slide(L["next_reading"], kind="week")
    b = _B(nxt, L)
    for plan in w.plans:
        if plan.next_items and len(w.plans) > 1:
            b.add(f"{plan.plan} ({_weeks(L, [plan.next_week])})")
        elif plan.next_items:
            nxt.subtitle = f"{plan.plan} · {_weeks(L, [plan.next_week])}"
        for item in plan.next_items:
            kind = "" if item.get("kind") == "paper" else f"[{item.get('kind')}] "
            b.add(kind + (item.get("title") or item.get("text") or ""))
    if not nxt.bullets:
        b.add(L["nothing_next"], "notice")
        for s in w.suggested:
            b.add(f"{L['suggested']}: {s.get('title')}")
    slides.append(nxt)
    return slides


def build_deck(brief: Brief) -> list[Slide]:
    """Every slide of the brief: a cover with the agenda, five or six per paper, then the week."""
    L = labels(brief.lang)
    cover = Slide(L["title"], subtitle=f"{L['period']}: {brief.since[:10]} – {brief.until[:10]}", kind="cover")
    b = _B(cover, L)
    for p in brief.papers:
        b.add(p.title)
    if not brief.papers:
        b.add(L["nothing_read"], "notice")
    slides = [cover]
    for p in brief.papers:
        slides += paper_slides(p, L)
    return slides + week_slides(brief, L)
