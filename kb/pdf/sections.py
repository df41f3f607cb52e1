"""Section headings and their page spans, from fonts and numbering (the PDF outline helps when
the authors' LaTeX wrote one)."""

from __future__ import annotations

import re
from collections import Counter

from kb.pdf.layout import Line, PageLayout
from kb.pdf.model import Section

_NAMED = {
    "abstract": "abstract",
    "references": "references",
    "bibliography": "references",
    "reference": "references",
    "appendix": "appendix",
    "appendices": "appendix",
    "supplementary material": "appendix",
    "acknowledgements": "body",
    "acknowledgments": "body",
    "acknowledgement": "body",
    "acknowledgment": "body",
    "introduction": "body",
    "conclusion": "body",
    "conclusions": "body",
    "related work": "body",
    "background": "body",
    "discussion": "body",
}
_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+(?P<title>[A-Z][^\n]{1,90})$")
_LETTERED = re.compile(r"^(?:Appendix\s+)?(?P<num>[A-H](?:\.\d{1,2}){0,2})\.?\s+(?P<title>[A-Z][^\n]{1,90})$")
_BARE_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}\.?$")


def body_font_size(pages: list[PageLayout]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def detect_sections(pages: list[PageLayout], body_size: float) -> list[Section]:
    found: list[Section] = []
    in_back_matter = False
    for page in pages:
        lines = _join_split_numbers(page.lines)
        block_sizes = Counter(line.block for line in lines)
        for line in lines:
            section = _heading(line, body_size, in_back_matter, alone=block_sizes[line.block] == 1)
            if section is None:
                continue
            if found and found[-1].title == section.title:
                continue
            if section.kind in ("references", "appendix"):
                in_back_matter = True
            if in_back_matter and section.kind == "body" and _is_lettered(section.title):
                section.kind = "appendix"
            elif in_back_matter and section.kind == "body" and found and found[-1].kind in ("appendix",) and section.level > 1:
                section.kind = "appendix"
            found.append(section)
    _fill_end_pages(found, len(pages) and pages[-1].number)
    return found


def sections_from_outline(toc: list, last_page: int) -> list[Section]:
    """The PDF's own outline (hyperref bookmarks), used when the fonts say too little."""
    found: list[Section] = []
    in_back_matter = False
    for level, title, page in toc:
        if page < 1 or level > 3:
            continue
        kind = _NAMED.get(title.strip().lower(), "body")
        if kind in ("references", "appendix"):
            in_back_matter = True
        elif in_back_matter and _is_lettered(title):
            kind = "appendix"
        found.append(Section(title.strip(), level, page, page, kind))
    _fill_end_pages(found, last_page)
    return found


def _join_split_numbers(lines: list[Line]) -> list[Line]:
    """"3" and "Model Architecture" set as separate lines on one baseline become one heading."""
    out: list[Line] = []
    for line in lines:
        if out and _BARE_NUMBER.match(out[-1].text) and abs(out[-1].bbox[3] - line.bbox[3]) < 3 and line.x0 > out[-1].x0:
            prev = out.pop()
            line = Line(line.page, f"{prev.text.rstrip('.')} {line.text}", (prev.bbox[0], line.bbox[1], line.bbox[2], line.bbox[3]), line.size, line.bold and prev.bold, line.block)
        out.append(line)
    return out


def _heading(line: Line, body_size: float, back_matter: bool, alone: bool = False) -> Section | None:
    text = line.text.strip() if line.bold else _uncap(line.text.strip())
    if len(text) > 100 or len(text) < 4 and text.lower() not in _NAMED:
        return None
    # ICLR-style headings are small caps in the body font: their own block, all capitals.
    shouting = alone and line.text.isupper() and sum(ch.isalpha() for ch in line.text) >= 4
    emphasised = line.bold or line.size >= body_size + 0.9 or shouting
    name = re.sub(r"[\s.:]+$", "", text).lower()
    if name in _NAMED and (emphasised or alone) and line.size >= body_size - 1.6:
        return Section(text.rstrip(".: "), 1, line.page, line.page, _NAMED[name])
    if not emphasised or line.size < body_size - 0.6:
        return None
    match = _NUMBERED.match(text)
    if match and not text.endswith((".", ",")) and not re.search(r"\d\s*$", match.group("title")):
        level = match.group("num").count(".") + 1
        title = f"{match.group('num')} {match.group('title').strip()}"
        return Section(title, level, line.page, line.page, _kind_of(match.group("title")))
    match = _LETTERED.match(text)
    if match and (back_matter or text.startswith("Appendix")) and not text.endswith((".", ",")):
        level = match.group("num").count(".") + 1
        return Section(f"{match.group('num')} {match.group('title').strip()}", level, line.page, line.page, "appendix")
    return None


def _uncap(text: str) -> str:
    """"1 INTRODUCTION" → "1 Introduction"; mixed-case headings stay as written."""
    if text.isupper() and sum(ch.isalpha() for ch in text) >= 4:
        return re.sub(r"[A-Z][A-Z'’]*", lambda m: m.group(0).capitalize(), text)
    return text


def _kind_of(title: str) -> str:
    return _NAMED.get(title.strip().lower(), "body")


def _is_lettered(title: str) -> bool:
    return bool(re.match(r"^[A-H](\.\d+)*\s", title))


def _fill_end_pages(sections: list[Section], last_page: int) -> None:
    for i, section in enumerate(sections):
        end = last_page
        for later in sections[i + 1:]:
            if later.level <= section.level:
                # A section ends on the page where the next one of its rank begins.
                end = max(section.start_page, later.start_page)
                break
        section.end_page = end
