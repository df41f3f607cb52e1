"""The brief as Markdown (for editing) and as Marp slides (for presenting)."""

from __future__ import annotations

from pathlib import Path

from kb.brief.labels import labels
from kb.brief.model import SECTION_KEYS, Brief, PaperBrief, SectionText


def _section(text: SectionText | None, L: dict) -> str:
    if text is None:
        return f"_{L['empty_section']}_"
    if text.is_quote:
        quoted = "\n".join(f"> {line}" for line in text.text.splitlines() or [""])
        return f"{quoted}\n>\n> — _{L['quoted']} ({text.quoted_from})_"
    return text.text


def _gap_lines(p: PaperBrief, L: dict) -> list[str]:
    lines = []
    for gap in p.gaps:
        if gap == "no_pdf":
            lines.append(f"_{L['no_pdf']}_")
        elif gap == "no_figure":
            lines.append(f"_{L['no_figure']}_")
        elif gap.startswith("pdf_error:"):
            lines.append(f"_PDF: {gap.split(':', 1)[1]}_")
    return lines


def run_table(p: PaperBrief, L: dict) -> list[str]:
    lines = []
    for run in p.runs:
        verdict = L["held"] if run.passed else L["not_held"] if run.passed is False else run.status
        lines.append(f"**{run.reproduction}** ({run.device or '?'}, {run.seconds or 0:.0f} s): {verdict}")
        lines.append("")
        lines.append(f"| {L['claim']} | {L['measured']} |")
        lines.append("|---|---|")
        measured = ", ".join(f"{k} = {_fmt(v)}" for k, v in list(run.metrics.items())[:6]) or "—"
        lines.append(f"| {run.claim.replace('|', '/')} | {measured.replace('|', '/')} |")
        lines.append("")
    return lines


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _rel(path: Path, out: Path) -> str:
    try:
        return path.relative_to(out.parent).as_posix()
    except ValueError:
        return path.as_posix()


def paper_markdown(p: PaperBrief, L: dict, out: Path, heading: str = "##") -> list[str]:
    lines = [f"{heading} {p.title}", "", f"*{p.citation}*  ", f"{L['status']}: {p.status}", ""]
    for key in SECTION_KEYS:
        lines += [f"{heading}# {L[key]}", "", _section(p.sections.get(key), L), ""]
    if p.figure:
        lines += [f"{heading}# {L['figure']}", "", f"![{p.figure_caption or p.title}]({_rel(p.figure, out)})", ""]
        if p.figure_caption:
            lines += [f"*{p.figure_caption}*", ""]
    lines += [line for gap in _gap_lines(p, L) for line in (gap, "")]
    if p.highlights:
        lines += [f"{heading}# {L['highlights']}", ""]
        for h in p.highlights:
            page = f" (p. {h['page_label']})" if h.get("page_label") else ""
            text = (h.get("text") or "").strip()
            comment = f" — {h['comment'].strip()}" if h.get("comment") else ""
            lines.append(f"- “{text}”{page}{comment}")
        lines.append("")
    if p.runs:
        lines += [f"{heading}# {L['runs']}", ""] + run_table(p, L)
    if p.cards_reviewed:
        retention = f", {p.cards_retention:.0%}" if p.cards_retention is not None else ""
        lines += [f"{L['cards']}: {p.cards_reviewed}{retention}", ""]
    return lines


def week_markdown(brief: Brief, L: dict) -> list[str]:
    w = brief.week
    lines = [f"## {L['week']}" + (f" ({w.plan}, week {w.week})" if w.plan and w.week else ""), ""]
    lines.append(f"- {L['read_vs_planned']}: {len(w.read)} / {len(w.planned)}")
    lines.append(f"- {L['reviews']}: {w.reviews}" + (f" · {L['retention']}: {w.retention:.0%}" if w.retention is not None else ""))
    if w.open_items:
        lines += ["", f"### {L['open_items']}", ""] + [f"- [ ] {i.get('title') or i.get('text')}" for i in w.open_items]
    if w.next_week:
        lines += ["", f"### {L['next_week']}", ""] + [f"- {i.get('title') or i.get('text')}" for i in w.next_week]
    if w.suggested:
        lines += ["", f"### {L['suggested']}", ""] + [f"- {s.get('title')}" + (f" — {s['reason']}" if s.get("reason") else "") for s in w.suggested]
    return lines + [""]


def markdown(brief: Brief, out: Path) -> str:
    L = labels(brief.lang)
    lines = [f"# {L['title']}", "", f"{L['period']}: {brief.since[:10]} – {brief.until[:10]}", ""]
    if not brief.papers:
        lines += [L["nothing_read"], ""]
    for p in brief.papers:
        lines += paper_markdown(p, L, out)
    lines += week_markdown(brief, L)
    return "\n".join(lines)


def slides(brief: Brief, out: Path) -> str:
    """Marp: front matter, then one slide per paper separated by `---`."""
    L = labels(brief.lang)
    deck = ["---\nmarp: true\npaginate: true\n---", f"# {L['title']}\n\n{L['period']}: {brief.since[:10]} – {brief.until[:10]}"]
    if not brief.papers:
        deck[-1] += f"\n\n{L['nothing_read']}"
    for p in brief.papers:
        body = [f"## {p.title}", "", f"<small>{p.citation}</small>", ""]
        for key in ("problem", "method", "results"):
            text = p.sections.get(key)
            if text is not None:
                short = text.text if len(text.text) < 300 else text.text[:297] + "…"
                body.append(f"- **{L[key]}**: {short}" + (f" _({L['quoted']})_" if text.is_quote else ""))
        if p.figure:
            body += ["", f"![h:220]({_rel(p.figure, out)})"]
        if p.runs:
            r = p.runs[0]
            body += ["", f"**{L['runs']}** {r.reproduction}: {L['held'] if r.passed else L['not_held']}"]
        deck.append("\n".join(body))
    deck.append("\n".join(week_markdown(brief, L)))
    return "\n\n---\n\n".join(deck) + "\n"
