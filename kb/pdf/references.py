"""The reference list: split into entries (hanging indents or [N] labels) and parsed into
authors, year, title, arXiv id and DOI."""

from __future__ import annotations

import re

from kb.papers import normalize_arxiv, normalize_doi
from kb.pdf.layout import Line
from kb.pdf.model import Reference
from kb.pdf.text import join_lines

_LABEL_RE = re.compile(r"^\s*\[[^\]]{1,12}\]\s*")
_YEAR_RE = re.compile(r"(?<![\d–\-/.])((?:19[5-9]|20[0-4])\d)[a-z]?(?![\d–\-/]|\.\d)")
_SENTENCE_RE = re.compile(r"(?<=[a-z0-9\)\]”\"?!])\.\s+(?=[A-Z0-9“\"'‘])")
_ARXIV_RE = re.compile(r"(?:arxiv|abs/|corr)[^0-9]{0,30}(\d{4}\.\d{4,5})|,\s*(\d{4}\.\d{4,5})\b", re.I)


def split_entries(lines: list[Line], page_width: float) -> list[list[Line]]:
    """Group reference lines into entries. A new entry starts at the left edge of its column
    (the rest of an entry is indented) or with a [label]."""
    entries: list[list[Line]] = []
    mid = page_width / 2
    lefts: dict[tuple[int, bool], float] = {}
    for line in lines:
        key = (line.page, line.x0 >= mid - 10)
        lefts[key] = min(lefts.get(key, line.x0), line.x0)
    indents = [l for l in lines if l.x0 > lefts[(l.page, l.x0 >= mid - 10)] + 3]
    labelled = sum(bool(_LABEL_RE.match(l.text)) for l in lines) >= 3
    for line in lines:
        at_edge = line.x0 <= lefts[(line.page, line.x0 >= mid - 10)] + 3
        starts = bool(_LABEL_RE.match(line.text)) if labelled else (at_edge and bool(indents))
        if starts or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return entries


def parse(lines: list[str], vocab: set[str] | None = None) -> Reference:
    raw = join_lines(lines, vocab)
    body = _LABEL_RE.sub("", raw).strip()
    return Reference(
        raw=raw, title=_title(body), authors=_authors(body), year=_year(body), arxiv_id=_arxiv(body), doi=normalize_doi(body),
    )


def _arxiv(text: str) -> str | None:
    match = _ARXIV_RE.search(text)
    if match:
        return match.group(1) or match.group(2)
    return normalize_arxiv(text) if "arxiv" in text.lower() else None


def _year(text: str) -> int | None:
    years = list(_YEAR_RE.finditer(text))
    if not years:
        return None
    for match in years:  # ACL style: "Authors. 2019. Title."
        if text[max(0, match.start() - 2):match.start()] in (". ", ", ") and text[match.end():match.end() + 1] in (".", ""):
            head = text[:match.start()]
            if len(_SENTENCE_RE.split(head)) == 1:
                return int(match.group(1))
    return int(years[-1].group(1))


# ICML/APA style: "Almeida, T. A., Hidalgo, J. M. G., and Silva, T. P. Towards SMS …"
_FAMILY_INITIALS_RE = re.compile(
    r"^(?:(?:and\s+|&\s*)?(?:[\w'’\-]+\s){0,2}[\w'’\-]+,\s(?:[A-Z][a-z]?\.[\s\-]?)+,?\s*(?:et\s+al\.,?\s*)?)+(?=[A-Z0-9“\"(])"
)


def _segments(text: str) -> list[str]:
    match = _FAMILY_INITIALS_RE.match(text)
    if match and match.end() < len(text):
        rest = text[match.end():]
        return [match.group(0).strip(" ,")] + [s.strip() for s in _SENTENCE_RE.split(rest) if s.strip()]
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def _title(text: str) -> str | None:
    segments = _segments(text)
    if len(segments) < 2:
        return None
    rest = segments[1:]
    if re.fullmatch(r"\(?\d{4}[a-z]?\)?", rest[0]) and len(rest) > 1:
        rest = rest[1:]
    title = re.sub(r",?\s*((19|20)\d{2}[a-z]?|arXiv.*)$", "", rest[0]).strip(" .,")
    return title if len(title) >= 4 else None


def _authors(text: str) -> list[str]:
    segments = _segments(text)
    if not segments:
        return []
    head = segments[0]
    if _FAMILY_INITIALS_RE.match(text):  # "Family, I. I." pairs: keep each pair together
        pairs = re.findall(r"([\w'’\-][\w'’\- ]*?),\s((?:[A-Z][a-z]?\.[\s\-]?)+)", head)
        return [f"{initials.strip()} {family.replace('and ', '').strip()}" for family, initials in pairs][:50]
    names = re.split(r",\s*(?:and\s+)?|\s+and\s+", head)
    return [n.strip() for n in names if n.strip() and n.strip() not in ("et al", "et al.")][:50]


def reference_lines(pages, sections) -> list[Line]:
    """The lines between the References heading and the next heading (or the end)."""
    ref_index = next((i for i, s in enumerate(sections) if s.kind == "references"), None)
    if ref_index is None:
        return []
    start = sections[ref_index]
    stop = sections[ref_index + 1] if ref_index + 1 < len(sections) else None
    out: list[Line] = []
    collecting = False
    for page in pages:
        if page.number < start.start_page:
            continue
        for line in page.lines:
            if not collecting:
                collecting = page.number == start.start_page and _same_heading(line.text, start.title)
                continue
            if stop and page.number == stop.start_page and _same_heading(line.text, stop.title):
                return out
            out.append(line)
        if stop and page.number >= stop.start_page:
            break
    return out


def _same_heading(text: str, title: str) -> bool:
    squash = lambda s: re.sub(r"[^a-z0-9]", "", s.lower())  # noqa: E731
    text, title = squash(text), squash(title)
    return bool(text) and (text == title or (len(text) >= 6 and title.startswith(text)) or (len(title) >= 6 and text.startswith(title)))
