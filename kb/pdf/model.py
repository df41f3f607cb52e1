"""What extraction produces. Shared by indexing, the graph, the TUI's outline and the brief."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageText:
    number: int  # 1-based page number as a reader counts it
    text: str  # NFKC-normalised, de-hyphenated, headers/footers removed, reading order


@dataclass
class Section:
    title: str  # "Introduction", "3 Method", "References", "Appendix A ..."
    level: int  # 1 for top-level sections
    start_page: int
    end_page: int
    kind: str = "body"  # abstract | body | references | appendix


@dataclass
class Reference:
    raw: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None


@dataclass
class Caption:
    kind: str  # "figure" | "table"
    label: str  # "Figure 1", "Table 2"
    text: str
    page: int
    bbox: tuple[float, float, float, float] | None = None


@dataclass
class PdfMetadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    abstract: str | None = None


@dataclass
class Document:
    path: str
    content_hash: str  # sha256 of the file's bytes
    page_count: int
    pages: list[PageText]
    metadata: PdfMetadata
    sections: list[Section] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
