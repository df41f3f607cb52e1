"""Gather a brief's content from the store, the notes, the PDFs, the runs and the review log."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kb import papers as papers_mod
from kb.brief import fallback, note_text
from kb.brief.model import SECTION_KEYS, Brief, Image, PaperBrief, PlanProgress, RunSummary, SectionText, WeekSummary
from kb.brief.period import iso
from kb.store import Store

log = logging.getLogger(__name__)

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


def _document(pdf: str | None, timeout_s: float):
    if not pdf:
        return None, None
    from kb.pdf.errors import PdfError
    from kb.pdf.extract import extract

    try:
        return extract(pdf, timeout_s=timeout_s), None
    except PdfError as exc:
        return None, str(exc)


def highlights(store: Store, paper_id: int) -> list[dict]:
    return [
        dict(r)
        for r in store.all(
            "SELECT type, text, comment, color, page_label FROM annotations WHERE paper_id = ? "
            "ORDER BY page_index, sort_index, id",
            (paper_id,),
        )
    ]


def runs(store: Store, paper_id: int, lang: str, assets: Path) -> list[RunSummary]:
    """The paper's latest runs (three at most), each with its one verdict as recorded."""
    from kb.brief.curves import draw_curve
    from reproductions.records import list_runs, verdict, verdict_label

    out = []
    for run in list_runs(store, paper_id=paper_id)[:3]:
        details = run.get("details") or {}
        summary = RunSummary(
            run_id=run["run_id"], reproduction=run.get("reproduction", ""), claim=run.get("claim") or "",
            verdict=verdict(run), verdict_label=verdict_label(run, lang), status=run.get("status", ""),
            claims=list(details.get("claims") or []), metrics=run.get("metrics") or {}, device=run.get("device"),
            seed=run.get("seed"), seconds=run.get("seconds"), started_at=run.get("started_at"), error=run.get("error"),
        )
        curve = draw_curve(details.get("curves") or {}, assets / f"run-{summary.run_id}-curve.png",
                           title=summary.reproduction)
        if curve is not None:
            summary.curve = Image(curve, summary.reproduction, None)
        out.append(summary)
    return out


def card_stats(store: Store, paper_id: int, since: datetime, until: datetime) -> tuple[int, float | None]:
    """Reviews of this paper's cards in the period, and their true retention."""
    from notes.stats import reviews_between

    stats = reviews_between(store, since, until, paper_id=paper_id)
    return stats["reviews"], stats["retention"]


def _sections(own: note_text.NoteContent, abstract: str | None, doc) -> dict[str, SectionText | None]:
    """The user's words first; where they wrote nothing, one short line from the paper, marked."""
    quoted = {"problem": fallback.problem_line(abstract), "method": fallback.method_line(abstract),
              "results": None, "limitations": fallback.limitations(doc), "questions": None, "notes": None}
    return {key: SectionText(own.text(key)) if own.has(key) else quoted.get(key) for key in SECTION_KEYS}


def _takeaway(own: note_text.NoteContent, sections: dict, key_numbers: list) -> SectionText | None:
    for key in ("takeaway", "results"):
        if own.has(key):
            return SectionText(own.blocks[key][0])
    if key_numbers:
        return SectionText(key_numbers[0][0], key_numbers[0][1])
    return sections.get("problem")


def paper_brief(store: Store, paper_id: int, *, since: datetime, until: datetime, notes_dir: Path | None,
                assets: Path, lang: str = "en", timeout_s: float = 60) -> PaperBrief:
    from kb.brief import figures, numbers

    paper = papers_mod.get(store, paper_id)
    note = notes_dir / f"{paper.citekey}.md" if notes_dir else None
    own = note_text.read(note, paper.title)
    pdf = papers_mod.pdf_path(store, paper_id)
    doc, pdf_error = _document(pdf, timeout_s)
    abstract = paper.abstract or (doc.metadata.abstract if doc else None)
    key_numbers = numbers.key_sentences(doc, abstract)
    sections = _sections(own, abstract, doc)
    limits = sections.get("limitations")
    if limits is not None and limits.is_quote:  # a sentence is said once: on the notes slide, not also as a result
        key_numbers = [(t, w) for t, w in key_numbers if t[:40] not in limits.text]
    brief = PaperBrief(
        paper_id=paper.id, citekey=paper.citekey, title=paper.title, citation=citation(paper), status=paper.status,
        sections=sections, authors=_authors(paper.authors), venue=paper.venue, year=paper.year,
        takeaway=_takeaway(own, sections, key_numbers), key_numbers=key_numbers, cards=own.cards,
    )
    if note is None or not note.exists() or not any(own.blocks.values()):
        brief.notices.append("no_note")
    elif own.only_cards:
        brief.notices.append("only_cards")
    if own.lang and own.lang != lang and not own.only_cards:
        brief.notices.append(f"note_lang_{own.lang}")
    if not pdf:
        brief.gaps.append("no_pdf")
    elif pdf_error:
        brief.gaps.append(f"pdf_error:{pdf_error}")
    if pdf and doc is not None:
        for attr, finder, gap in (("figure", figures.key_figure, "no_figure"), ("table", figures.results_table, "no_table")):
            try:
                crop = finder(pdf, doc, assets, paper.citekey)
            except Exception as exc:  # an image is a nicety: its failure is a stated gap, not a failed brief
                log.warning("%s extraction failed for %s: %s", attr, paper.citekey, exc)
                crop = None
            if crop is None:
                brief.gaps.append(gap)
            else:
                setattr(brief, attr, Image(crop.path, crop.caption, crop.page))
    brief.highlights = highlights(store, paper_id)
    brief.runs = runs(store, paper_id, lang, assets)
    brief.cards_reviewed, brief.cards_retention = card_stats(store, paper_id, since, until)
    return brief


def _authors(authors: list[str]) -> str:
    if len(authors) > 4:
        return ", ".join(authors[:3]) + " et al."
    return ", ".join(authors)


def _read_between(store: Store, since: datetime, until: datetime) -> list[dict]:
    return [
        dict(r) for r in store.all(
            "SELECT p.id, p.citekey, p.title, min(h.at) AS at FROM status_history h JOIN papers p ON p.id = h.paper_id "
            "WHERE h.status IN ('read', 'reviewed') AND h.at >= ? AND h.at <= ? GROUP BY p.id ORDER BY min(h.at)",
            (iso(since), iso(until)),
        )
    ]


def weeks_covered(store: Store, plan: str, since: datetime, until: datetime) -> list[int]:
    """The plan weeks the period covers: those with at least four of their days in it (a 7-day
    period straddles two plan weeks; it is about the one it mostly covers), else the one with most."""
    from collections import Counter

    from kb.plans import query

    days: Counter = Counter()
    day = since.date()
    while day <= until.date():
        week = query.current_week(store, plan, day)
        if week is not None:
            days[week] += 1
        day += timedelta(days=1)
    if not days:
        return []
    weeks = sorted(w for w, n in days.items() if n >= 4)
    return weeks or [days.most_common(1)[0][0]]


def plan_progress(store: Store, plan_row: dict, since: datetime, until: datetime, read_ids: set[int],
                  week: int | None = None) -> PlanProgress | None:
    """The plan's papers for the weeks the period covers, which of them were read in the period,
    and the items that start the week after."""
    from kb.plans import query

    name = plan_row["name"]
    if week is not None:
        weeks = [week]
    else:
        weeks = weeks_covered(store, name, since, until)
        if not weeks:
            return None
    items: dict[int, dict] = {}
    for w in weeks:
        for item in query.week_items(store, name, w):
            items.setdefault(item["id"], item)
    planned = [i for i in items.values() if i.get("kind") == "paper"]
    read = [i for i in planned if i.get("paper_id") in read_ids]
    open_items = [i for i in items.values() if not i.get("done") and not (i.get("paper") or {}).get("status") in ("read", "reviewed")]
    # Next week's reading: the items that start after the period. Items of a block the period is
    # inside (周1-2 spans two weeks) are this period's, so it is the next block that starts.
    nxt, next_items = None, []
    for w in range(weeks[-1] + 1, (plan_row.get("weeks") or weeks[-1]) + 1):
        next_items = [i for i in query.week_items(store, name, w) if i.get("week_start") == w]
        if next_items:
            nxt = w
            break
    return PlanProgress(plan=name, title=plan_row.get("title") or name, lang=plan_row.get("lang"), weeks=weeks,
                        planned=planned, read=read, open_items=open_items, next_week=nxt, next_items=next_items)


def week_summary(store: Store, since: datetime, until: datetime, plan: str | None, week: int | None) -> WeekSummary:
    from kb.plans import query

    summary = WeekSummary(read=_read_between(store, since, until))
    read_ids = {r["id"] for r in summary.read}
    rows = query.list_plans(store)
    if plan:
        chosen = dict(query.resolve_plan(store, plan))
        rows = [r for r in rows if r["name"] == chosen["name"]] or [chosen]
    for row in rows:
        progress = plan_progress(store, row, since, until, read_ids, week)
        if progress is not None:
            summary.plans.append(progress)
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
    briefs = [paper_brief(store, pid, since=since, until=until, notes_dir=notes_dir, assets=assets, lang=lang,
                          timeout_s=timeout_s) for pid in dict.fromkeys(paper_ids)]
    return Brief(lang=lang, since=iso(since), until=iso(until), papers=briefs, week=week_summary(store, since, until, plan, week))
