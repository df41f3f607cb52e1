"""Building the demo library into a data home: papers with generated PDFs, the bilingual plan,
a few notes with cards, and a reading status on some papers.

Every step is idempotent: papers are upserted (matched by arXiv id), a PDF is only written when
missing (or with force), notes are only created, never rewritten, and a demo status is only
set on a paper whose status nobody has ever changed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kb import atomic, config as config_mod, papers, paths
from kb.demo import corpus
from kb.demo.corpus import DemoPaper
from kb.papers import Paper
from kb.store import Store

PLAN_NAME = "demo"
# What the demo reader has done so far: enough for Today, the brief and review to show something.
DEMO_STATUS = {"1706.03762": "read", "1810.04805": "read", "1503.02531": "read", "2106.09685": "reading"}


@dataclass
class DemoResult:
    papers: list[Paper] = field(default_factory=list)
    papers_created: list[str] = field(default_factory=list)  # citekeys
    plan: str | None = None
    pdfs: list[Path] = field(default_factory=list)
    pdfs_written: list[Path] = field(default_factory=list)
    notes_written: list[Path] = field(default_factory=list)
    statuses_set: dict[str, str] = field(default_factory=dict)  # citekey -> status
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.papers_created or self.pdfs_written or self.notes_written or self.statuses_set)

    def to_dict(self) -> dict[str, Any]:
        return {
            "papers": [{"id": p.id, "citekey": p.citekey, "arxiv_id": p.arxiv_id, "title": p.title} for p in self.papers],
            "papers_created": self.papers_created,
            "plan": self.plan,
            "pdfs": [str(p) for p in self.pdfs],
            "pdfs_written": [str(p) for p in self.pdfs_written],
            "notes_written": [str(p) for p in self.notes_written],
            "statuses_set": self.statuses_set,
            "seconds": round(self.seconds, 3),
        }


def pdf_dir(home: Path) -> Path:
    return paths.files_dir(home) / "demo"


def build(store: Store, home: Path, *, force: bool = False, config: dict | None = None) -> DemoResult:
    """Build (or complete) the demo library. force=True regenerates the PDFs."""
    started = time.perf_counter()
    result = DemoResult()
    library = corpus.by_arxiv()
    for demo in corpus.papers():
        paper, created = _upsert(store, demo)
        if created:
            result.papers_created.append(paper.citekey)
        path = pdf_dir(home) / f"{demo.arxiv_id}.pdf"
        if force or not path.exists():
            _write_pdf(path, demo, library)
            result.pdfs_written.append(path)
        attachment_id = papers.add_attachment(store, paper.id, str(path))
        result.pdfs.append(path)
        _extract(store, paper.id, attachment_id, path)
    if result.pdfs_written or result.papers_created:
        from kb.fulltext import recompute_citation_edges

        recompute_citation_edges(store)  # references to demo papers stored after the citing one
    result.statuses_set = _set_statuses(store)
    config = config if config is not None else config_mod.load(paths.config_path(home))
    result.notes_written = _write_notes(store, home, config)
    # Last, so that the plan's entries link to the demo papers rather than create thinner records.
    result.plan = _import_plan(store)
    by_id = {p.arxiv_id: p for p in papers.all_papers(store) if p.arxiv_id in library}
    result.papers = [by_id[d.arxiv_id] for d in corpus.papers() if d.arxiv_id in by_id]
    result.seconds = time.perf_counter() - started
    return result


def _upsert(store: Store, demo: DemoPaper) -> tuple[Paper, bool]:
    return papers.upsert(
        store, title=demo.title, source="demo", authors=list(demo.authors), year=demo.year, venue=demo.venue,
        arxiv_id=demo.arxiv_id, abstract=demo.abstract, url=f"https://arxiv.org/abs/{demo.arxiv_id}",
    )


def _extract(store: Store, paper_id: int, attachment_id: int, path: Path) -> None:
    """Store sections, references and captions now, so the outline and the citation graph
    work before the first `kb index`. Our own small PDFs: no child process needed."""
    from kb import fulltext

    status = fulltext.document_status(store, paper_id)
    if status and status.get("status") == "ok" and status.get("content_hash") == _sha256(path):
        return
    from kb.pdf.extract import extract_here

    fulltext.save_document(store, paper_id, attachment_id, extract_here(path))


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_pdf(path: Path, demo: DemoPaper, library: dict[str, DemoPaper]) -> None:
    from kb.demo.render import render  # PyMuPDF loads only when a PDF is actually written

    atomic.write_bytes(path, render(demo, library))


def _import_plan(store: Store) -> str:
    from kb.plans.importer import import_plan

    with resources.as_file(resources.files("kb.demo.data").joinpath("plan.md")) as plan_path:
        imported = import_plan(store, plan_path, name=PLAN_NAME)
    return imported.plans[0]["name"] if imported.plans else PLAN_NAME


def _set_statuses(store: Store) -> dict[str, str]:
    done: dict[str, str] = {}
    for arxiv_id, status in DEMO_STATUS.items():
        paper = papers.find_match(store, arxiv_id=arxiv_id)
        if paper is None:
            continue
        touched = store.scalar("SELECT COUNT(*) FROM status_history WHERE paper_id = ?", (paper.id,))
        if touched or paper.status != "unread":
            continue  # the user (or an earlier demo build) already decided
        papers.set_status(store, paper.id, status)
        done[paper.citekey] = status
    return done


def _write_notes(store: Store, home: Path, config: dict) -> list[Path]:
    from notes.files import note_path

    written = []
    for arxiv_id in corpus.note_ids():
        paper = papers.find_match(store, arxiv_id=arxiv_id)
        if paper is None:
            continue
        path = note_path(home, config, paper)
        if path.exists():
            continue  # notes belong to the user: create, never rewrite
        atomic.write_text(path, note_text(store, paper, corpus.note_body(arxiv_id) or ""))
        written.append(path)
    return written


def note_text(store: Store, paper: Paper, body: str) -> str:
    """A demo note: front matter for paper, then body with `[[@ARXIV]]` turned into `[[citekey]]`."""
    from notes.template import front_matter

    demo = corpus.by_arxiv().get(paper.arxiv_id or "")
    meta = front_matter(paper, tags=["demo", *(demo.tags if demo else ())])
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
    return f"---\n{header}\n---\n\n{_link_citekeys(store, body).strip()}\n"


def _link_citekeys(store: Store, body: str) -> str:
    def citekey(match: re.Match) -> str:
        paper = papers.find_match(store, arxiv_id=match.group(1))
        return f"[[{paper.citekey}]]" if paper else f"[[arXiv:{match.group(1)}]]"

    return re.sub(r"\[\[@(\d{4}\.\d{4,5})\]\]", citekey, body)
