"""Split an extracted Document into chunks that fit the embedding model, with provenance.

A chunk never crosses a page or a section boundary, so every search hit can name its page and
section. Sizes are counted in the embedding model's own word pieces (all-MiniLM-L6-v2 reads at
most 256 and silently drops the rest), and windows end on a sentence boundary when one is near.
The reference list is left out: it belongs to the citation graph, and its titles would make
every citing paper look like the cited one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from kb.pdf.model import Document, Section

# Word-piece (start, end) character spans of a text, special tokens excluded.
TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]

_SENTENCE_END = ".!?。！？;；"
_MIN_TOKENS = 3  # below this a segment is not worth a vector
_HEADING_WORDS = 12  # a segment this short (a heading right before a subsection) joins the next


@dataclass(frozen=True)
class Chunk:
    seq: int
    page: int
    section: str | None
    char_start: int  # span within the page's text
    char_end: int
    text: str


@dataclass(frozen=True)
class _Segment:
    page: int
    section: Section | None
    start: int
    end: int


def chunk_document(doc: Document, token_offsets: TokenOffsets, *, max_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    overlap = max(0, min(overlap, max_tokens // 2))
    chunks: list[Chunk] = []
    for page in doc.pages:
        if not page.text.strip():
            continue
        spans = token_offsets(page.text)
        for segment in _segments(page.number, page.text, doc.sections):
            if segment.section is not None and segment.section.kind == "references":
                continue
            inside = [s for s in spans if s[0] >= segment.start and s[1] <= segment.end and s[1] > s[0]]
            if len(inside) < _MIN_TOKENS:
                continue
            title = segment.section.title if segment.section else None
            for first, last in _windows(page.text, inside, max_tokens, overlap):
                start, end = inside[first][0], inside[last - 1][1]
                chunks.append(Chunk(len(chunks), page.number, title, start, end, page.text[start:end]))
    return chunks


def _segments(page_number: int, text: str, sections: list[Section]) -> Iterator[_Segment]:
    """The page cut where sections start on it (found by their heading text), else whole."""
    current = _section_at(page_number, sections)
    cuts: list[tuple[int, Section | None]] = [(0, current)]
    searched_from = 0
    for section in sections:
        if section.start_page != page_number:
            continue
        at = _find_heading(text, section.title, searched_from)
        if at is None:
            continue
        searched_from = at + 1
        if at == 0:
            cuts[0] = (0, section)
        else:
            cuts.append((at, section))
    carried: int | None = None
    for i, (start, section) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        if carried is not None:
            start, carried = carried, None
        if i + 1 < len(cuts) and len(text[start:end].split()) < _HEADING_WORDS:
            carried = start  # "3 Method" followed at once by "3.1 Setup": one segment
            continue
        if end > start:
            yield _Segment(page_number, section, start, end)


def _section_at(page_number: int, sections: list[Section]) -> Section | None:
    """The innermost section that was already open when the page began."""
    best = None
    for section in sections:
        if section.start_page < page_number <= section.end_page and (best is None or section.level >= best.level):
            best = section
    return best


def _find_heading(text: str, title: str, start: int) -> int | None:
    title = " ".join(title.split())
    if not title:
        return None
    at = text.find(title, start)
    if at < 0:
        at = text.lower().find(title.lower(), start)
    return at if at >= 0 else None


def _windows(text: str, spans: Sequence[tuple[int, int]], max_tokens: int, overlap: int) -> Iterator[tuple[int, int]]:
    """Token index ranges [first, last): at most max_tokens long, `overlap` tokens shared."""
    n = len(spans)
    starts = _sentence_starts(text, spans)
    first = 0
    while True:
        last = min(first + max_tokens, n)
        if last < n:
            # End at the last sentence boundary in the back half of the window, if there is one.
            boundary = max((b for b in starts if first + max_tokens // 2 < b <= last), default=None)
            if boundary is not None:
                last = boundary
        yield first, last
        if last >= n:
            return
        nxt = max(last - overlap, first + 1)
        # Start the next window on a sentence start inside the overlap when one exists.
        aligned = min((b for b in starts if nxt <= b < last), default=None)
        first = aligned if aligned is not None else nxt


def _sentence_starts(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    out = []
    for i in range(1, len(spans)):
        prev_end = spans[i - 1][1]
        if prev_end > 0 and text[prev_end - 1] in _SENTENCE_END:
            out.append(i)
    return out
