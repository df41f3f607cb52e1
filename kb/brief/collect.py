"""Gather a brief's content from the store, the notes, the PDFs, the runs and the review log."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from kb import papers as papers_mod
from kb.brief import fallback
from kb.brief.model import SECTION_KEYS, Brief, PaperBrief, RunSummary, SectionText, WeekSummary
from kb.brief.period import iso
from kb.store import Store

log = logging.getLogger(__name__)

# Note headings (as the notes template writes them) → brief section keys.
NOTE_HEADINGS = {
    "problem": "problem", "method": "method", "key results": "results", "results": "results",
    "limitations": "limitations", "questions": "questions",
    "研究问题": "problem", "问题": "problem", "方法": "method", "主要结果": "results", "结果": "results",
    "局限性": "limitations", "局限": "limitations", "讨论问题": "questions", "疑问": "questions",
}


def citation(paper: papers_mod.Paper) -> str:
    """APA-like: Authors (Year). Title. Venue. arXiv/DOI."""
    authors = paper.authors
    if len(authors) > 3:
        who = f"{authors[0]} et al."
    else:
        who = ", ".join(authors) if authors else "Unknown authors"
    parts = [f"{who} ({paper.year or 'n.d.'}). {paper.title}."]
    if paper.venue:
        parts.append(f"{paper.venue}.")
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}.")
    if paper.doi:
        parts.append(f"https://doi.org/{paper.doi}")
    return " ".join(parts)


def papers_in_period(store: Store, since: datetime, until: datetime, notes_dir: Path | None) -> list[int]:
    """Papers read, started, noted or reproduced in the period, in the order they were touched."""
    touched: dict[int, str] = {}
    for row in store.all(
        "SELECT paper_id, min(at) AS at FROM status_history WHERE at >= ? AND at <= ? GROUP BY paper_id",
        (iso(since), iso(until)),
    ):
        touched[row["paper_id"]] = row["at"]
    for row in store.all(
        "SELECT paper_id, min(started_at) AS at FROM runs WHERE paper_id IS NOT NULL AND started_at >= ? AND started_at <= ? GROUP BY paper_id",
        (iso(since), iso(until)),
    ):
        touched.setdefault(row["paper_id"], row["at"])
    if notes_dir and notes_dir.exists():
        by_key = {r["citekey"]: r["id"] for r in store.all("SELECT id, citekey FROM papers")}
        for note in notes_dir.glob("*.md"):
            modified = datetime.fromtimestamp(note.stat().st_mtime, timezone.utc)
            if since <= modified <= until and note.stem in by_key:
                touched.setdefault(by_key[note.stem], iso(modified))
    return [pid for pid, _ in sorted(touched.items(), key=lambda kv: kv[1])]


def note_sections(note: Path | None) -> dict[str, str]:
    """The user's own text per brief section ('' where only the template is there)."""
    if note is None or not note.exists():
        return {}
    from notes.files import read_sections

    out: dict[str, str] = {}
    for heading, text in read_sections(note).items():
        key = NOTE_HEADINGS.get(heading.strip().lower())
        if key and text.strip() and key not in out:
            out[key] = text.strip()
    return out


def _document(pdf: str | None, timeout_s: float):
    if not pdf:
        return None, None
    from kb.pdf.errors import PdfError
    from kb.pdf.extract import extract

    try:
        return extract(pdf, timeout_s=timeout_s), None
    except PdfError as exc:
        return None, str(exc)


def _figure(pdf: str, doc, out_dir: Path, citekey: str) -> tuple[Path | None, str | None]:
    from kb.pdf.figures import extract_first_figure

    try:
        path = extract_first_figure(pdf, out_dir / f"{citekey}-figure.png", doc=doc)
    except Exception as exc:  # a figure is a nicety: its failure is a stated gap, not a failed brief
        log.warning("figure extraction failed for %s: %s", citekey, exc)
        return None, None
    if path is None:
        return None, None
    caption = next((f"{c.label}: {c.text}" for c in (doc.captions if doc else []) if c.kind == "figure"), None)
    return path, caption


def highlights(store: Store, paper_id: int) -> list[dict]:
    return [
        dict(r)
        for r in store.all(
            "SELECT type, text, comment, color, page_label FROM annotations WHERE paper_id = ? "
            "ORDER BY page_index, sort_index, id",
            (paper_id,),
        )
    ]


def runs(store: Store, paper_id: int) -> list[RunSummary]:
    from reproductions.records import list_runs

    out = []
    for run in list_runs(store, paper_id=paper_id)[:3]:
        metrics = run.get("metrics") or {}
        if isinstance(metrics, str):
            metrics = json.loads(metrics)
        out.append(RunSummary(
            reproduction=run.get("reproduction", ""), claim=run.get("claim") or "", passed=run.get("passed"),
            status=run.get("status", ""), metrics=metrics, device=run.get("device"), seconds=run.get("seconds"),
            started_at=run.get("started_at"),
        ))
    return out


def card_stats(store: Store, paper_id: int, since: datetime, until: datetime) -> tuple[int, float | None]:
    """Reviews of this paper's cards in the period, and their true retention."""
    from notes.stats import reviews_between

    stats = reviews_between(store, since, until, paper_id=paper_id)
    return stats["reviews"], stats["retention"]


def paper_brief(store: Store, paper_id: int, *, since: datetime, until: datetime, notes_dir: Path | None,
                assets: Path, timeout_s: float = 60) -> PaperBrief:
    paper = papers_mod.get(store, paper_id)
    note = notes_dir / f"{paper.citekey}.md" if notes_dir else None
    own = note_sections(note)
    pdf = papers_mod.pdf_path(store, paper_id)
    doc, pdf_error = _document(pdf, timeout_s)
    problem, method = fallback.from_abstract(paper.abstract or (doc.metadata.abstract if doc else None))
    quoted = {"problem": problem, "method": method, **fallback.from_document(doc), "questions": None}
    sections: dict[str, SectionText | None] = {}
    for key in SECTION_KEYS:
        sections[key] = SectionText(own[key]) if key in own else quoted.get(key)
    brief = PaperBrief(
        paper_id=paper.id, citekey=paper.citekey, title=paper.title, citation=citation(paper),
        status=paper.status, sections=sections,
    )
    if not pdf:
        brief.gaps.append("no_pdf")
    elif pdf_error:
        brief.gaps.append(f"pdf_error:{pdf_error}")
    if pdf and doc is not None:
        brief.figure, brief.figure_caption = _figure(pdf, doc, assets, paper.citekey)
    if pdf and brief.figure is None:
        brief.gaps.append("no_figure")
    brief.highlights = highlights(store, paper_id)
    brief.runs = runs(store, paper_id)
    brief.cards_reviewed, brief.cards_retention = card_stats(store, paper_id, since, until)
    return brief


def week_summary(store: Store, since: datetime, until: datetime, plan: str | None, week: int | None) -> WeekSummary:
    from kb.plans import query

    summary = WeekSummary()
    plans = query.list_plans(store)
    if plans:
        row = query.resolve_plan(store, plan) if plan or len(plans) == 1 else query.resolve_plan(store, plans[0]["name"])
        summary.plan = row["name"]
        summary.week = week if week is not None else query.current_week(store, row["name"], until.date())
        if summary.week is not None:
            items = query.week_items(store, row["name"], summary.week)
            summary.planned = [i for i in items if i.get("kind") == "paper"]
            summary.open_items = [i for i in items if not i.get("done") and i.get("paper_status") not in ("read", "reviewed")]
            summary.next_week = query.week_items(store, row["name"], summary.week + 1)
    summary.read = [
        dict(r) for r in store.all(
            "SELECT DISTINCT p.id, p.citekey, p.title FROM status_history h JOIN papers p ON p.id = h.paper_id "
            "WHERE h.status IN ('read', 'reviewed') AND h.at >= ? AND h.at <= ? ORDER BY h.at",
            (iso(since), iso(until)),
        )
    ]
    from kb.graph import suggest_next
    from notes.stats import reviews_between

    reviews = reviews_between(store, since, until)
    summary.reviews, summary.retention = reviews["reviews"], reviews["retention"]
    summary.suggested = suggest_next(store, limit=3)
    return summary


def build(store: Store, *, since: datetime, until: datetime | None = None, paper_ids: list[int] | None = None,
          plan: str | None = None, week: int | None = None, lang: str = "en", notes_dir: Path | None = None,
          assets: Path, timeout_s: float = 60) -> Brief:
    until = until or datetime.now(timezone.utc)
    if paper_ids is None:
        if week is not None:
            from kb.plans import query

            row = query.resolve_plan(store, plan)
            paper_ids = [i["paper_id"] for i in query.week_items(store, row["name"], week) if i.get("paper_id")]
        else:
            paper_ids = papers_in_period(store, since, until, notes_dir)
    assets.mkdir(parents=True, exist_ok=True)
    briefs = [paper_brief(store, pid, since=since, until=until, notes_dir=notes_dir, assets=assets, timeout_s=timeout_s)
              for pid in dict.fromkeys(paper_ids)]
    return Brief(lang=lang, since=iso(since), until=iso(until), papers=briefs, week=week_summary(store, since, until, plan, week))
