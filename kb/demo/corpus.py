"""The demo papers as data: short texts of our own, with the real titles, authors and ids.

Each paper lives in `data/papers/<arxiv>.toml`; this module reads them into dataclasses and
checks that every citation points at another demo paper, so the citation graph is closed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

SECTION_TITLES = ("Introduction", "Method", "Experiments", "Conclusion")
CHART_KINDS = ("bar", "line", "blocks")


@dataclass(frozen=True)
class Figure:
    section: int  # drawn after the text of this section (1-based)
    kind: str  # bar | line | blocks
    caption: str
    labels: tuple[str, ...]
    values: tuple[float, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Table:
    section: int
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str
    body: str

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(p.split()) for p in self.body.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class DemoPaper:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    year: int
    venue: str
    abstract: str
    sections: tuple[Section, ...]
    figure: Figure
    table: Table
    cites: tuple[str, ...] = ()
    external_refs: tuple[str, ...] = ()
    abstract_zh: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def _paper_from_toml(data: dict) -> DemoPaper:
    fig, tab = data["figure"], data["table"]
    return DemoPaper(
        arxiv_id=data["arxiv_id"],
        title=data["title"],
        authors=tuple(data["authors"]),
        year=int(data["year"]),
        venue=data["venue"],
        abstract=" ".join(data["abstract"].split()),
        abstract_zh=" ".join(data.get("abstract_zh", "").split()),
        sections=tuple(Section(s["title"], s["body"]) for s in data["sections"]),
        figure=Figure(fig["section"], fig["kind"], fig["caption"], tuple(fig["labels"]),
                      tuple(float(v) for v in fig.get("values", ())), fig.get("unit", "")),
        table=Table(tab["section"], tab["caption"], tuple(tab["header"]), tuple(tuple(r) for r in tab["rows"])),
        cites=tuple(data.get("cites", ())),
        external_refs=tuple(data.get("external_refs", ())),
        tags=tuple(data.get("tags", ())),
    )


@lru_cache(maxsize=1)
def papers() -> tuple[DemoPaper, ...]:
    """All demo papers, oldest first (so a paper's references are mostly built before it)."""
    folder = resources.files("kb.demo.data.papers")
    loaded = [
        _paper_from_toml(tomllib.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    ]
    loaded.sort(key=lambda p: (p.year, p.arxiv_id))
    _check(loaded)
    return tuple(loaded)


def by_arxiv() -> dict[str, DemoPaper]:
    return {p.arxiv_id: p for p in papers()}


def _check(loaded: list[DemoPaper]) -> None:
    # The data ships with the package, so a slip here is a programming error, not user input.
    ids = {p.arxiv_id for p in loaded}
    for p in loaded:
        if tuple(s.title for s in p.sections) != SECTION_TITLES:
            raise ValueError(f"demo paper {p.arxiv_id}: sections must be {SECTION_TITLES}")
        if p.figure.kind not in CHART_KINDS:
            raise ValueError(f"demo paper {p.arxiv_id}: unknown figure kind {p.figure.kind!r}")
        if p.figure.kind != "blocks" and len(p.figure.values) != len(p.figure.labels):
            raise ValueError(f"demo paper {p.arxiv_id}: figure needs one value per label")
        unknown = set(p.cites) - ids
        if unknown or p.arxiv_id in p.cites:
            raise ValueError(f"demo paper {p.arxiv_id}: cites {sorted(unknown) or 'itself'}, not other demo papers")


def plan_text() -> str:
    return resources.files("kb.demo.data").joinpath("plan.md").read_text(encoding="utf-8")


def note_body(arxiv_id: str) -> str | None:
    entry = resources.files("kb.demo.data.notes").joinpath(f"{arxiv_id}.md")
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def note_ids() -> list[str]:
    folder = resources.files("kb.demo.data.notes")
    return sorted(e.name[:-3] for e in folder.iterdir() if e.name.endswith(".md"))
