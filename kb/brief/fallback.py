"""Extractive fallbacks: where a note section is empty, quote the paper itself, never invent.

Problem and method come from the abstract (its first sentences state the problem, the rest the
approach), key results from the conclusion's first sentences or the main results table's
caption, limitations from a Limitations section when the paper has one.
"""

from __future__ import annotations

import re

from kb.brief.model import SectionText
from kb.pdf.model import Document

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9\u4e00-\u9fff“\"(])")


def sentences(text: str) -> list[str]:
    text = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 20]


def from_abstract(abstract: str | None) -> tuple[SectionText | None, SectionText | None]:
    parts = sentences(abstract or "")
    if not parts:
        return None, None
    problem = SectionText(" ".join(parts[:2]), "abstract")
    method = SectionText(" ".join(parts[2:4]), "abstract") if len(parts) > 2 else None
    return problem, method


def section_text(doc: Document, names: tuple[str, ...]) -> str | None:
    """The text of the first section whose title contains one of `names`, from its heading on."""
    for section in doc.sections:
        title = section.title.lower()
        if not any(name in title for name in names):
            continue
        pages = [p.text for p in doc.pages if section.start_page <= p.number <= section.end_page]
        text = "\n".join(pages)
        heading = re.search(re.escape(section.title.split()[-1]), text, re.I)
        body = text[heading.end():] if heading else text
        return body
    return None


def from_document(doc: Document | None) -> dict[str, SectionText | None]:
    out: dict[str, SectionText | None] = {"results": None, "limitations": None}
    if doc is None:
        return out
    conclusion = section_text(doc, ("conclusion", "discussion"))
    if conclusion and sentences(conclusion):
        out["results"] = SectionText(" ".join(sentences(conclusion)[:2]), "conclusion")
    else:
        tables = [c for c in doc.captions if c.kind == "table"]
        if tables:
            out["results"] = SectionText(f"{tables[0].label}: {tables[0].text}", f"{tables[0].label.lower()} caption")
    limitations = section_text(doc, ("limitation",))
    if limitations and sentences(limitations):
        out["limitations"] = SectionText(" ".join(sentences(limitations)[:2]), "limitations section")
    return out
