"""Cleaning extracted text: Unicode compatibility forms and words hyphenated across lines."""

from __future__ import annotations

import re
import unicodedata

# LaTeX PDFs often place a spacing diaeresis or accent before its letter ("T¨ackstr¨om").
_SPACING_ACCENTS = {"¨": "\u0308", "´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "˜": "\u0303", "¸": "\u0327"}
_SPACING_ACCENT_RE = re.compile(r"([¨´ˆ˜¸])\s?([A-Za-z])")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_TRAILING_HYPHEN_RE = re.compile(r"([^\W\d_]+)[-\u00ad\u2010]$")
_LEADING_WORD_RE = re.compile(r"^([^\W\d_]+)")


def normalize(text: str) -> str:
    """NFKC (ﬁ → fi, full-width digits → ASCII) and combined accents; soft hyphens dropped."""
    text = _SPACING_ACCENT_RE.sub(lambda m: m.group(2) + _SPACING_ACCENTS[m.group(1)], text)
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u00ad", "").replace("\u200b", "")


def vocabulary(lines: list[str]) -> set[str]:
    """Lower-cased words and hyphenated compounds written within lines (not at their ends),
    which tells `join_lines` whether "low-" + "rank" is "low-rank" or "lowrank"."""
    vocab: set[str] = set()
    for line in lines:
        for word in _WORD_RE.findall(line.rstrip("-")):
            vocab.add(word.lower())
    return vocab


def join_lines(lines: list[str], vocab: set[str] | None = None) -> str:
    """Join the lines of a paragraph, mending words broken with a hyphen at a line end."""
    vocab = vocab or set()
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not out:
            out = line
            continue
        head = _TRAILING_HYPHEN_RE.search(out)
        tail = _LEADING_WORD_RE.match(line)
        if head and tail and tail.group(1)[0].islower():
            left, right = head.group(1), tail.group(1)
            if _keeps_hyphen(left, right, vocab):
                out = out + line
            else:
                out = out[:-1] + line
        else:
            out = out + " " + line
    return out


def _keeps_hyphen(left: str, right: str, vocab: set[str]) -> bool:
    joined = (left + right).lower()
    compound = f"{left}-{right}".lower()
    if compound in vocab and joined not in vocab:
        return True
    return False
