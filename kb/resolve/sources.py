"""The online sources, each as: the request URL for an id, and the metadata in its answer.

arXiv's API answers Atom XML; Crossref, Semantic Scholar, OpenAlex and OpenReview answer JSON. Each parser
takes the bytes as fetched (so that the recorded answers in the tests are the real shapes)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from kb.resolve.ids import PaperId


@dataclass
class Metadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    pdf_url: str | None = None          # an open-access PDF, where there is one
    source: str = ""                    # catalog, arxiv, crossref, semanticscholar, openalex, link
    ids: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def paper_fields(self) -> dict[str, Any]:
        """Keyword arguments for kb.papers.upsert."""
        out: dict[str, Any] = {"title": self.title}
        for name in ("authors", "year", "venue", "arxiv_id", "doi"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


# -- arXiv ------------------------------------------------------------------------------------

_ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}


def arxiv_url(base: str, arxiv_id: str) -> str:
    return f"{base}?{urlencode({'id_list': arxiv_id, 'max_results': 1})}"


def parse_arxiv(data: bytes, arxiv_id: str) -> Metadata | None:
    root = ET.fromstring(data)
    entry = root.find("a:entry", _ATOM)
    if entry is None:
        return None
    title = " ".join((entry.findtext("a:title", "", _ATOM) or "").split())
    if not title or title.lower() == "error":
        return None  # the API answers an entry titled "Error" for an id it does not have
    authors = [" ".join((a.findtext("a:name", "", _ATOM) or "").split()) for a in entry.findall("a:author", _ATOM)]
    published = entry.findtext("a:published", "", _ATOM) or ""
    pdf = next((l.get("href") for l in entry.findall("a:link", _ATOM) if l.get("title") == "pdf"), None)
    doi = entry.findtext("arxiv:doi", None, _ATOM)
    venue = entry.findtext("arxiv:journal_ref", None, _ATOM)
    return Metadata(title=title, authors=[a for a in authors if a], year=int(published[:4]) if published[:4].isdigit() else None,
                    venue=" ".join(venue.split()) if venue else None, arxiv_id=arxiv_id, doi=doi.lower() if doi else None,
                    pdf_url=pdf or f"https://arxiv.org/pdf/{arxiv_id}", source="arxiv")


# -- Crossref ---------------------------------------------------------------------------------

def crossref_url(base: str, doi: str, mailto: str = "") -> str:
    return f"{base}/works/{quote(doi, safe='/')}" + (f"?{urlencode({'mailto': mailto})}" if mailto else "")


def parse_crossref(data: bytes) -> Metadata | None:
    msg = json.loads(data).get("message") or {}
    titles = msg.get("title") or []
    if not titles:
        return None
    authors = [" ".join(p for p in (a.get("given"), a.get("family")) if p) or a.get("name", "") for a in msg.get("author") or []]
    year = None
    for key in ("published-print", "published-online", "issued", "created"):
        parts = (msg.get(key) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and parts[0][0]:
            year = int(parts[0][0])
            break
    venue = (msg.get("container-title") or [None])[0] or (msg.get("event") or {}).get("name")
    pdf = next((l.get("URL") for l in msg.get("link") or [] if l.get("content-type") == "application/pdf"
                and l.get("intended-application") in ("text-mining", "similarity-checking", "unspecified")
                and _open_licence(msg)), None)
    return Metadata(title=" ".join(titles[0].split()), authors=[a for a in authors if a], year=year, venue=venue,
                    doi=(msg.get("DOI") or "").lower() or None, pdf_url=pdf, source="crossref")


def _open_licence(msg: dict) -> bool:
    return any("creativecommons.org" in (l.get("URL") or "") for l in msg.get("license") or [])


# -- Semantic Scholar -------------------------------------------------------------------------

S2_FIELDS = "title,authors,year,venue,externalIds,openAccessPdf"


def s2_url(base: str, pid: PaperId) -> str:
    prefix = {"arxiv": "arXiv:", "doi": "DOI:", "acl": "ACL:"}[pid.kind]
    return f"{base}/paper/{quote(prefix + pid.value, safe=':/')}?{urlencode({'fields': S2_FIELDS})}"


def parse_s2(data: bytes) -> Metadata | None:
    d = json.loads(data)
    if not d.get("title"):
        return None
    ext = d.get("externalIds") or {}
    pdf = (d.get("openAccessPdf") or {}).get("url") or None
    return Metadata(title=" ".join(d["title"].split()), authors=[a.get("name", "") for a in d.get("authors") or [] if a.get("name")],
                    year=d.get("year"), venue=d.get("venue") or None, arxiv_id=ext.get("ArXiv"),
                    doi=(ext.get("DOI") or "").lower() or None, pdf_url=pdf, source="semanticscholar",
                    ids={k: str(v) for k, v in ext.items()})


# -- OpenAlex ---------------------------------------------------------------------------------

def openalex_url(base: str, doi: str, mailto: str = "") -> str:
    return f"{base}/works/doi:{quote(doi, safe='/')}" + (f"?{urlencode({'mailto': mailto})}" if mailto else "")


def parse_openalex(data: bytes) -> Metadata | None:
    d = json.loads(data)
    title = d.get("title") or d.get("display_name")
    if not title:
        return None
    authors = [(a.get("author") or {}).get("display_name", "") for a in d.get("authorships") or []]
    venue = ((d.get("primary_location") or {}).get("source") or {}).get("display_name")
    pdf = (d.get("best_oa_location") or {}).get("pdf_url") or None
    doi = re.sub(r"^https?://doi\.org/", "", d.get("doi") or "").lower() or None
    return Metadata(title=" ".join(title.split()), authors=[a for a in authors if a], year=d.get("publication_year"), venue=venue,
                    doi=doi, pdf_url=pdf, source="openalex")


# -- OpenReview -------------------------------------------------------------------------------
# Venues since 2023 live in API 2 (each content field is {"value": ...}); older ones (ICLR 2018
# to 2022, NeurIPS to 2022) in API 1 (plain fields). Both answer {"notes": [...]} to ?id=.

OPENREVIEW_SITE = "https://openreview.net"


def openreview_url(base: str, ident: str) -> str:
    return f"{base}/notes?{urlencode({'id': ident})}"


def parse_openreview(data: bytes, ident: str) -> Metadata | None:
    notes = json.loads(data).get("notes") or []
    note = next((n for n in notes if ident in (n.get("id"), n.get("forum"))), None)
    if note is None:
        return None
    content = note.get("content") or {}

    def field_value(name: str) -> Any:
        value = content.get(name)
        return value.get("value") if isinstance(value, dict) else value

    title = field_value("title")
    if not title:
        return None
    venue = field_value("venue") or None  # "ICLR 2022 Poster", "NeurIPS 2023 oral"
    stated = re.search(r"\b(19|20)\d{2}\b", venue or "")
    stamp = note.get("pdate") or note.get("odate") or note.get("cdate") or note.get("tcdate")
    year = int(stated.group(0)) if stated else (_year_of_ms(stamp) if stamp else None)
    pdf = field_value("pdf")
    return Metadata(title=" ".join(str(title).split()), authors=[str(a) for a in field_value("authors") or [] if a],
                    year=year, venue=venue, pdf_url=f"{OPENREVIEW_SITE}/pdf?id={ident}" if pdf else None,
                    source="openreview", ids={"OpenReview": ident})


def _year_of_ms(ms: Any) -> int | None:
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).year
    except (TypeError, ValueError, OverflowError, OSError):
        return None
