"""Is a PDF's text layer readable? A font without a Unicode mapping (a CID font with Identity-H
encoding and no ToUnicode map, common in PDFs from some Chinese and Word tool chains) extracts
as glyph numbers: control characters, private-use code points, U+FFFD, or letters shifted into
nonsense ("-PX\x0e3BOL" for "Low-Rank"). Such a file is treated like a scanned one (`no_text`),
with the share that was unreadable in the message, instead of being stored with garbage text
and a garbage title."""

from __future__ import annotations

import re
import unicodedata

# Real papers have almost no unreadable characters (at most 0.14% across the ten in the shared
# test set, from math fonts); a file whose fonts have no mapping is over 90%.
MAX_UNREADABLE = 0.30
_UNREADABLE_CATEGORIES = frozenset(("Cc", "Co", "Cn", "Cs"))
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


def unreadable_chars(text: str) -> tuple[int, int]:
    """(unreadable, total) over the non-space characters: control, private-use, unassigned, U+FFFD."""
    total = bad = 0
    for ch in text:
        if ch.isspace():
            continue
        total += 1
        if ch == "\ufffd" or unicodedata.category(ch) in _UNREADABLE_CATEGORIES:
            bad += 1
    return bad, total


def _norm(font: str) -> str:
    return re.sub(r"[\s_-]+", "", _SUBSET_PREFIX.sub("", font or "")).lower()


def unmapped_fonts(pdf, page) -> set[str]:
    """The (normalised) names of the page's fonts that map their codes to no Unicode text."""
    names = set()
    for xref, _ext, ftype, basefont, _name, encoding in page.get_fonts():
        if ftype == "Type0" and (encoding or "").startswith("Identity") and pdf.xref_get_key(xref, "ToUnicode")[0] == "null":
            names.add(_norm(basefont))
    return names


def _from_unmapped(span_font: str, unmapped: set[str]) -> bool:
    font = _norm(span_font)
    return bool(font) and any(font.startswith(u) or u.startswith(font) for u in unmapped)


def unreadable_share(pdf, page_texts: list[str]) -> float:
    """The share of the text that is unreadable: characters that map to nothing readable, or
    (where a page uses a font without a mapping) characters drawn with such a font."""
    bad, total = 0, 0
    for text in page_texts:
        b, t = unreadable_chars(text)
        bad, total = bad + b, total + t
    if not total:
        return 0.0
    from_unmapped = 0
    for page in pdf:
        unmapped = unmapped_fonts(pdf, page)
        if not unmapped:
            continue
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    if _from_unmapped(span["font"], unmapped):
                        from_unmapped += sum(1 for ch in span["text"] if not ch.isspace())
    return min(1.0, max(bad, from_unmapped) / total)


def describe(share: float) -> str:
    return (f"the text layer is unreadable: {share:.0%} of its characters are unmapped or private-use "
            "(fonts without a Unicode mapping)")
