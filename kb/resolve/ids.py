"""The identifier a user gives or a link holds: arXiv id, DOI, ACL Anthology id, OpenReview id,
or a URL to a PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$", re.I)
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
ACL_ID = re.compile(r"^(\d{4}\.[a-z\d]+-[a-z\d]+\.\d+|[A-Z]\d{2}-\d{4})$", re.I)


@dataclass(frozen=True)
class PaperId:
    kind: str    # arxiv, doi, acl, openreview, pdf_url
    value: str

    def __str__(self) -> str:
        return {"arxiv": "arXiv:", "doi": "doi:", "acl": "ACL:", "openreview": "OpenReview:"}.get(self.kind, "") + self.value


def parse(text: str) -> PaperId | None:
    """What `kb add` was given: 'arXiv:2106.09685', '2106.09685', 'doi:10.1145/…', '10.1145/…',
    'acl:2020.acl-main.703', or a URL (arXiv, doi.org, ACM, ACL Anthology, OpenReview, a PDF)."""
    t = text.strip()
    if not t:
        return None
    if re.match(r"(?i)^https?://", t):
        return from_url(t)
    m = re.match(r"(?i)^(arxiv|doi|acl|openreview)\s*:\s*(.+)$", t)
    if m:
        kind, value = m.group(1).lower(), m.group(2).strip()
        if kind == "arxiv" and ARXIV_ID.match(value):
            return PaperId("arxiv", re.sub(r"v\d+$", "", value))
        if kind == "doi" and DOI.match(value):
            return PaperId("doi", value.lower())
        if kind == "acl" and ACL_ID.match(value):
            return PaperId("acl", value)
        if kind == "openreview" and re.fullmatch(r"[\w-]{6,}", value):
            return PaperId("openreview", value)
        return None
    if ARXIV_ID.match(t) and "." in t:
        return PaperId("arxiv", re.sub(r"v\d+$", "", t))
    if DOI.match(t):
        return PaperId("doi", t.lower())
    return None


def from_url(url: str) -> PaperId | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path or "")
    if host.endswith("arxiv.org"):
        m = re.match(r"^/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$", path)
        if m and ARXIV_ID.match(m.group(1)):
            return PaperId("arxiv", re.sub(r"v\d+$", "", m.group(1)))
    if host in ("doi.org", "dx.doi.org") or host.endswith(("acm.org", "science.org", "pnas.org")) and "/doi/" in path:
        m = re.search(r"(10\.\d{4,9}/[^?#\s]+?)(?:/?$|\?)", path + "?")
        if m:
            return PaperId("doi", re.sub(r"^(?:abs|full|pdf)/", "", m.group(1)).lower())
    if host.endswith(("aclanthology.org", "aclweb.org")):
        m = re.search(r"/(\d{4}\.[a-z\d]+-[a-z\d]+\.\d+|[A-Z]\d{2}-\d{4})(?:\.pdf)?/?$", path, re.I)
        if m:
            return PaperId("acl", m.group(1))
    if host.endswith("openreview.net"):
        ident = (parse_qs(parts.query).get("id") or [None])[0]
        if ident:
            return PaperId("openreview", ident)
    if path.lower().endswith(".pdf"):
        return PaperId("pdf_url", url)
    return None
