"""What a brief holds, independent of the format it is rendered to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The sections a group meeting needs, in the order they are presented. "notes" holds what the
# user wrote that names none of the others: it is shown, never dropped.
SECTION_KEYS = ("problem", "method", "results", "limitations", "questions", "notes")


@dataclass
class SectionText:
    text: str  # blocks (paragraphs, bullets) separated by newlines
    quoted_from: str | None = None  # None: the user's own words; else where in the paper it was quoted from

    @property
    def is_quote(self) -> bool:
        return self.quoted_from is not None

    @property
    def blocks(self) -> list[str]:
        return [b.strip() for b in self.text.split("\n") if b.strip()]


@dataclass
class Image:
    path: Path
    caption: str
    page: int | None = None  # the paper's page it was cropped from; None for a chart drawn here


@dataclass
class RunSummary:
    run_id: int
    reproduction: str
    claim: str
    verdict: str  # reproductions.records.VERDICTS
    verdict_label: str  # in the brief's language
    status: str
    claims: list[dict]  # check, paper, measured, held (True/False/None), naive?, naive_held?
    metrics: dict
    device: str | None
    seed: int | None
    seconds: float | None
    started_at: str | None
    error: str | None = None
    curve: Image | None = None

    @property
    def has_naive(self) -> bool:
        return any("naive" in c for c in self.claims)


@dataclass
class PaperBrief:
    paper_id: int
    citekey: str
    title: str
    citation: str
    status: str
    sections: dict[str, SectionText | None]  # None: nothing to say (the slide says so in one line)
    authors: str = ""
    venue: str | None = None
    year: int | None = None
    takeaway: SectionText | None = None
    key_numbers: list[tuple[str, str]] = field(default_factory=list)  # (sentence, where in the paper)
    figure: Image | None = None
    table: Image | None = None
    notices: list[str] = field(default_factory=list)  # keys of labels: one line each where content would be
    gaps: list[str] = field(default_factory=list)  # machine-readable: no_pdf, no_figure, no_table, pdf_error:...
    highlights: list[dict] = field(default_factory=list)
    runs: list[RunSummary] = field(default_factory=list)
    cards: int = 0  # flash cards in the note
    cards_reviewed: int = 0
    cards_retention: float | None = None


@dataclass
class PlanProgress:
    plan: str
    title: str
    lang: str | None
    weeks: list[int]  # the plan weeks the period covers
    planned: list[dict]  # paper items planned for those weeks
    read: list[dict]  # of those, the papers read (or reviewed) in the period
    open_items: list[dict]  # items of those weeks not done yet
    next_week: int | None = None
    next_items: list[dict] = field(default_factory=list)  # items that start in the next week


@dataclass
class WeekSummary:
    read: list[dict] = field(default_factory=list)  # every paper read in the period
    plans: list[PlanProgress] = field(default_factory=list)
    reviews: int = 0
    retention: float | None = None
    suggested: list[dict] = field(default_factory=list)

    @property
    def planned(self) -> list[dict]:
        return [i for p in self.plans for i in p.planned]


@dataclass
class Brief:
    lang: str
    since: str
    until: str
    papers: list[PaperBrief]
    week: WeekSummary
