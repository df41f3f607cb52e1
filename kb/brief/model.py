"""What a brief holds, independent of the format it is rendered to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The note sections a group meeting needs, in the order they are presented.
SECTION_KEYS = ("problem", "method", "results", "limitations", "questions")


@dataclass
class SectionText:
    text: str
    quoted_from: str | None = None  # None: the user's own note; else where in the paper it was quoted from

    @property
    def is_quote(self) -> bool:
        return self.quoted_from is not None


@dataclass
class RunSummary:
    reproduction: str
    claim: str
    passed: bool | None
    status: str
    metrics: dict
    device: str | None
    seconds: float | None
    started_at: str | None


@dataclass
class PaperBrief:
    paper_id: int
    citekey: str
    title: str
    citation: str
    status: str
    sections: dict[str, SectionText | None]  # None: nothing to say, and the gap is stated
    figure: Path | None = None
    figure_caption: str | None = None
    gaps: list[str] = field(default_factory=list)
    highlights: list[dict] = field(default_factory=list)
    runs: list[RunSummary] = field(default_factory=list)
    cards_reviewed: int = 0
    cards_retention: float | None = None


@dataclass
class WeekSummary:
    plan: str | None = None
    week: int | None = None
    planned: list[dict] = field(default_factory=list)  # paper items planned for the week
    read: list[dict] = field(default_factory=list)  # papers read in the period
    open_items: list[dict] = field(default_factory=list)
    reviews: int = 0
    retention: float | None = None
    next_week: list[dict] = field(default_factory=list)
    suggested: list[dict] = field(default_factory=list)


@dataclass
class Brief:
    lang: str
    since: str
    until: str
    papers: list[PaperBrief]
    week: WeekSummary
