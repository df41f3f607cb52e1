"""The offline catalog: canonical facts (title, authors, year, venue, arXiv id, DOI) about the
papers reading plans usually cite, shipped as kb/data/catalog.json.

`lookup(title=..., arxiv_id=..., doi=...)` resolves a plan's title, however it is written
("TinyBERT: Distilling BERT for NLP Understanding"), to the canonical entry without a network.
An entry has an arXiv id only where it is certain; a plan's own id always wins over none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from kb import titles

# A title's short name (the part before the colon) names the paper when it is distinctive:
# "BitFit: ... for Transformers" is BitFit whatever the rest says. Multi-word heads are not
# trusted ("Knowledge Distillation: A Survey" is not every "Knowledge Distillation: ...").
_SHORT_HEAD = re.compile(r"^\s*([^\s:：]{2,30})\s*[:：]\s*\S")


@dataclass(frozen=True)
class CatalogEntry:
    title: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def norm(self) -> str:
        return titles.normalize(self.title)

    def to_dict(self) -> dict[str, Any]:
        out = {"title": self.title, "authors": list(self.authors), "year": self.year, "venue": self.venue,
               "arxiv_id": self.arxiv_id, "doi": self.doi}
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out

    def paper_fields(self) -> dict[str, Any]:
        """Keyword arguments for kb.papers.upsert."""
        out: dict[str, Any] = {"title": self.title}
        if self.authors:
            out["authors"] = list(self.authors)
        for name in ("year", "venue", "arxiv_id", "doi"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


def squash(name: str) -> str:
    """'Flash Attention' / 'FlashAttention' / 'flash-attention' -> 'flashattention'."""
    import unicodedata

    text = unicodedata.normalize("NFKC", name or "").lower()
    return re.sub(r"[\W_]+", "", text)


def short_name(title: str) -> str | None:
    m = _SHORT_HEAD.match(title or "")
    if not m:
        return None
    head = m.group(1)
    if not re.search(r"[A-Za-z]", head):
        return None
    return head


class Catalog:
    def __init__(self, entries: list[CatalogEntry]):
        self.entries = entries
        self.by_arxiv = {e.arxiv_id: e for e in entries if e.arxiv_id}
        self.by_doi = {e.doi.lower(): e for e in entries if e.doi}
        self.norms = [(e.norm, e) for e in entries]
        self.by_norm = {n: e for n, e in self.norms}
        names: dict[str, list[CatalogEntry]] = {}
        for e in entries:
            keys = {squash(a) for a in e.aliases}
            head = short_name(e.title)
            if head:
                keys.add(squash(head))
            for k in keys:
                if len(k) >= 2:
                    names.setdefault(k, []).append(e)
        # a short name that two entries share names neither
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}

    def __len__(self) -> int:
        return len(self.entries)

    def by_short_name(self, name: str) -> CatalogEntry | None:
        return self.by_name.get(squash(name))

    def lookup(self, title: str | None = None, arxiv_id: str | None = None, doi: str | None = None) -> CatalogEntry | None:
        from kb.papers import normalize_arxiv, normalize_doi

        arxiv_id = normalize_arxiv(arxiv_id)
        if arxiv_id and arxiv_id in self.by_arxiv:
            return self.by_arxiv[arxiv_id]
        doi = normalize_doi(doi)
        if doi and doi in self.by_doi:
            return self.by_doi[doi]
        if not title:
            return None
        norm = titles.normalize(title)
        if not norm:
            return None
        found = self.by_norm.get(norm) or self._fuzzy(norm) or self._by_head(title, norm)
        if found is None:
            return None
        # Two different identifiers are two different works, whatever the titles say.
        if arxiv_id and found.arxiv_id and found.arxiv_id != arxiv_id:
            return None
        if doi and found.doi and found.doi.lower() != doi:
            return None
        return found

    def _fuzzy(self, norm: str) -> CatalogEntry | None:
        from rapidfuzz import fuzz

        best, best_score = None, 0.0
        for other, entry in self.norms:
            # cheap bound first: a pair far apart in plain ratio and with neither a prefix of the other cannot reach the threshold
            if not (other.startswith(norm[:12]) or norm.startswith(other[:12])) and fuzz.ratio(norm, other) < 75:
                continue
            score = titles.similarity(norm, other)
            if score > best_score:
                best, best_score = entry, score
        return best if best_score >= titles.MATCH_THRESHOLD else None

    def _by_head(self, title: str, norm: str) -> CatalogEntry | None:
        head = short_name(title)
        if head is None:
            # a bare short name: "LoRA", "Phi-1", "QLoRA paper"
            if len(title.split()) <= 3:
                return self.by_name.get(squash(title)) if len(squash(title)) >= 4 else None
            return None
        entry = self.by_name.get(squash(head))
        if entry is None:
            return None
        from rapidfuzz import fuzz

        rest = titles.normalize(title.split(":", 1)[-1] if ":" in title else title.split("：", 1)[-1])
        # the rest may be loose ("Med-PaLM: Large Language Models for Medicine"), but not about something else
        if rest and fuzz.token_set_ratio(rest, entry.norm) < 45:
            return None
        return entry


@lru_cache(maxsize=1)
def load() -> Catalog:
    raw = json.loads(resources.files("kb.data").joinpath("catalog.json").read_text(encoding="utf-8"))
    entries = [
        CatalogEntry(
            title=r["title"], authors=tuple(r.get("authors") or ()), year=r.get("year"), venue=r.get("venue"),
            arxiv_id=r.get("arxiv_id"), doi=(r.get("doi") or None), aliases=tuple(r.get("aliases") or ()),
        )
        for r in raw
    ]
    return Catalog(entries)


def lookup(title: str | None = None, arxiv_id: str | None = None, doi: str | None = None) -> CatalogEntry | None:
    """The catalog entry for a paper given by title (any common variant), arXiv id or DOI."""
    return load().lookup(title=title, arxiv_id=arxiv_id, doi=doi)


def alias_title(name: str) -> str | None:
    """The canonical title a short name stands for ("Flash Attention" -> "FlashAttention: ..."), or None."""
    entry = load().by_short_name(name)
    return entry.title if entry else None


def entries() -> list[CatalogEntry]:
    return list(load().entries)
