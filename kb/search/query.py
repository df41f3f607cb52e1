"""From what the user typed to what the indexes can take.

Anything may arrive: nothing, 10,000 characters pasted from a PDF, FTS5 syntax (`"`, `*`,
`NEAR`, `AND`, parentheses) or Chinese. The lexical side never passes user text to FTS5 as
syntax: every term becomes a quoted string, so operators are searched as plain words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.errors import BadInput
from kb.index.lexical import TRIGRAM_MIN, quote
from kb.search import glossary

MAX_QUERY_CHARS = 1000  # beyond this a query is a pasted passage; the model reads 256 word pieces anyway
MAX_TERMS = 24  # an OR of more terms only slows FTS5 down without changing the top hits

_WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f][0-9A-Za-z\u00c0-\u024f'’\-_.+]*")
_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has", "have", "how", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "without", "you", "your", "near", "not"]
)


@dataclass
class Query:
    raw: str
    text: str  # cleaned
    dense_text: str  # what the embedding model reads (English, glossary-expanded)
    terms: list[str] = field(default_factory=list)  # lexical terms and phrases, most specific first
    expansion: glossary.Expansion | None = None

    @property
    def fts(self) -> str | None:
        return fts_expression(self.terms)


def parse(raw: str | None) -> Query:
    text = clean(raw)
    if not text:
        raise BadInput("the search query is empty", 'type some words, e.g. kb search "low-rank adaptation"')
    expansion = glossary.expand(text) if glossary.has_chinese(text) else None
    if expansion is not None:
        dense = expansion.english_query or text
        terms = _dedupe([*expansion.english, *_words(expansion.latin), *expansion.leftover])
    else:
        dense = text
        terms = _dedupe(_words(text))
    return Query(raw or "", text, dense, terms[:MAX_TERMS], expansion)


def clean(raw: str | None) -> str:
    """NFKC, no control characters, single spaces, at most MAX_QUERY_CHARS (cut at a space)."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
    return text


def _words(text: str) -> list[str]:
    words = []
    for match in _WORD.finditer(text):
        word = match.group(0).strip(".'’-_+")
        if word and word.lower() not in _STOPWORDS:
            words.append(word)
    return words


def _dedupe(terms: list[str]) -> list[str]:
    seen, out = set(), []
    for term in terms:
        key = term.lower()
        if key not in seen:
            seen.add(key)
            out.append(term)
    return out


def fts_expression(terms: list[str]) -> str | None:
    """An FTS5 MATCH expression: each term a quoted string, OR-ed; None when nothing can match."""
    quoted = [quote(term) for term in terms if len(term) >= TRIGRAM_MIN]
    return " OR ".join(quoted) if quoted else None


def term_pattern(term: str) -> str:
    """A regex for where a term occurs in text: a word (Latin letters or digits) only at the
    start of a word, so "low" finds "Low-Rank" and "lowest" but not "flow" (the trigram index
    behind titles and abstracts matches inside words; a search for "low rank" ranked a paper on
    "the flow of genetic information" third). Chinese terms anywhere: no spaces separate its words."""
    fragment = re.escape(term)
    return rf"(?<![0-9A-Za-z\u00c0-\u024f]){fragment}" if _WORD.match(term) else fragment


def highlight_terms(query: Query) -> list[str]:
    """The strings a snippet should mark: the terms, and the single words of phrases."""
    out = list(query.terms)
    for term in query.terms:
        if " " in term:
            out.extend(w for w in term.split() if len(w) >= TRIGRAM_MIN and w.lower() not in _STOPWORDS)
    return _dedupe(out)
