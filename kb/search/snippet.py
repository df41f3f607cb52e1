"""Snippets: a short window of a chunk around the first query term, terms marked «like this»."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.search.query import term_pattern

OPEN, CLOSE = "«", "»"  # highlight markers; chosen because PDFs' own text rarely holds them


def snippet(text: str, terms: list[str], width: int = 240) -> str:
    text = " ".join(text.split())
    pattern = _pattern(tuple(terms))
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > width // 4:
        start = text.rfind(" ", 0, first.start() - width // 4) + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    window = text[start:end]
    if pattern is not None:
        window = pattern.sub(lambda m: f"{OPEN}{m.group(0)}{CLOSE}", window)
    return ("…" if start > 0 else "") + window + ("…" if end < len(text) else "")


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    # Longest first so "low-rank adaptation" wins over "low-rank".
    words = sorted({t for t in terms if len(t) >= 2}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(term_pattern(w) for w in words), re.IGNORECASE)
