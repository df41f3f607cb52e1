"""Chinese → English expansion of queries, offline, from the glossary shipped in kb/data.

The papers are English and the embedding model reads English, but the user often thinks and
types in Chinese (知识蒸馏, 量化, 低秩). Expansion replaces each known Chinese term with its English
equivalents, longest match first, so "低秩适配的显存占用" becomes "low-rank adaptation memory
footprint". Chinese text with no glossary entry is kept for the lexical index (notes may be in
Chinese) and left out of the English query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Glossary:
    terms: dict[str, tuple[str, ...]]  # chinese -> english alternatives, first is preferred
    longest: int

    def __len__(self) -> int:
        return len(self.terms)


@dataclass
class Expansion:
    english: list[str] = field(default_factory=list)  # expansions, in query order, no repeats
    matched: list[str] = field(default_factory=list)  # the Chinese terms that were found
    leftover: list[str] = field(default_factory=list)  # Chinese runs the glossary does not know
    latin: str = ""  # the query's non-Chinese text (English words, names, numbers)

    @property
    def english_query(self) -> str:
        """What the English-only embedding model should read."""
        return " ".join(part for part in [self.latin, *self.english] if part).strip()


@lru_cache(maxsize=1)
def load() -> Glossary:
    text = resources.files("kb.data").joinpath("glossary.tsv").read_text(encoding="utf-8")
    return parse(text)


def parse(text: str) -> Glossary:
    terms: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "\t" not in line:
            continue
        chinese, english = line.split("\t", 1)
        alternatives = tuple(e.strip() for e in english.split("|") if e.strip())
        if chinese.strip() and alternatives:
            terms[chinese.strip()] = alternatives
    return Glossary(terms, max((len(k) for k in terms), default=0))


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def expand(query: str, glossary: Glossary | None = None) -> Expansion:
    glossary = glossary or load()
    out = Expansion()
    latin_parts: list[str] = []
    unknown: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if not _CJK.match(ch):
            _close(unknown, out)
            latin_parts.append(ch)
            i += 1
            continue
        # Longest glossary entry starting here (entries may mix in digits or Latin: KL散度).
        for size in range(min(glossary.longest, n - i), 0, -1):
            english = glossary.terms.get(query[i:i + size])
            if english:
                _close(unknown, out)
                out.matched.append(query[i:i + size])
                for term in english:
                    if term not in out.english:
                        out.english.append(term)
                latin_parts.append(" ")
                i += size
                break
        else:
            unknown.append(ch)
            latin_parts.append(" ")
            i += 1
    _close(unknown, out)
    out.latin = " ".join("".join(latin_parts).split())
    return out


def _close(unknown: list[str], out: Expansion) -> None:
    if unknown:
        out.leftover.append("".join(unknown))
        unknown.clear()
