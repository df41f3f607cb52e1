"""Key results with numbers: the sentences of a paper that carry a measurement and a comparison.

"40% smaller", "2-4x faster", "from 146 to 74 errors", "28.4 BLEU, improving over the best
results by over 2 BLEU": a number with a unit or a comparison word. Citations ([12]), section
and figure references, and years are not measurements.
"""

from __future__ import annotations

import re

from kb.pdf.model import Document

# Things with digits that are not measurements, removed before looking for one.
_NOT_MEASURE = re.compile(
    r"\[[\d,;\s–-]+\]"  # [12], [3, 4]
    r"|\b(?:Section|Sec\.|Figure|Fig\.|Table|Tab\.|Appendix|Eq\.|Equation|Algorithm|Line|Theorem|Lemma|Step)s?\s*[A-Z]?\d+(?:\.\d+)*"
    r"|\b(?:19|20)\d\d[a-z]?\b"  # years
    r"|\barXiv:\S+|https?://\S+"
    r"|\b[A-Za-z]+-\d+[A-Za-z]*\b",  # model names: GPT-3, T5-11B, BERT-base is caught by the unit list instead
    re.I,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_UNIT = re.compile(
    r"\d\s*(?:%|×|x\b|times\b|pp\b|points?\b|BLEU|F1|EM\b|ms\b|s\b|sec|hours?|days?|GB|MB|GiB|MiB|TB|[KMB]\b|M\s+param|"
    r"parameters|params|errors?|accuracy|perplexity|ppl|FLOPs?|speed-?up|倍|个|分|点|次)"
    r"|(?:from|by|to|vs\.?|versus|than|over|up to|within|only)\s+(?:about\s+|around\s+|roughly\s+)?\d", re.I)
_COMPARE = re.compile(
    r"faster|slower|smaller|larger|fewer|less|more|higher|lower|better|worse|improv|outperform|reduc|increas|decreas|"
    r"comparable|retain|fell|drop|rose|cut|halv|doubl|saves?|achiev|surpass|exceed|speed|vs\.?|versus|compared|relative|state-of-the-art|"
    r"提升|提高|降低|减少|增加|超过|优于|相比|加速|倍|达到|接近|只有|仅|比|从", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9“\"(])|(?<=[。！？])")


def sentences(text: str) -> list[str]:
    text = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 15]


def has_measurement(text: str) -> bool:
    """A number with a unit or a comparison, once citations, references and years are set aside."""
    cleaned = _NOT_MEASURE.sub(" ", text)
    if not _NUMBER.search(cleaned):
        return False
    return bool(_UNIT.search(cleaned)) and bool(_COMPARE.search(cleaned))


def section_body(doc: Document, names: tuple[str, ...], *, exact: bool = False) -> tuple[str, str] | None:
    """(section title, its text) for the first body section whose title names one of `names`;
    the text runs from its heading to the next section's heading."""
    sections = [s for s in doc.sections if s.kind in ("body", "abstract")]
    for i, section in enumerate(sections):
        words = re.sub(r"^[A-Z]?\d+(?:\.\d+)*\.?\s*", "", section.title).strip().lower()
        if not any((words == n or words.rstrip("s") == n.rstrip("s")) if exact else n in words for n in names):
            continue
        text = "\n".join(p.text for p in doc.pages if section.start_page <= p.number <= section.end_page)
        span = _find_heading(text, section.title)
        if span is None:
            continue
        text = text[span[1]:]
        following = doc.sections[doc.sections.index(section) + 1:]
        for nxt in following[:1]:
            end = _find_heading(text, nxt.title)
            if end is not None:
                text = text[:end[0]]
        return section.title, text.strip()
    return None


def _find_heading(text: str, title: str) -> tuple[int, int] | None:
    """Where the heading `title` is in text (whitespace-insensitive, on its own line first)."""
    pattern = r"\s+".join(re.escape(w) for w in title.split())
    for regex in (rf"(?m)^\s*{pattern}\s*$", rf"(?m)^\s*{pattern}", pattern):
        match = re.search(regex, text, re.I)
        if match:
            return match.span()
    return None


def key_sentences(doc: Document | None, abstract: str | None, limit: int = 5) -> list[tuple[str, str]]:
    """(sentence, where from) for the sentences with measured numbers in the abstract, the
    results and the conclusion, in that order, without repeats."""
    sources: list[tuple[str, str]] = []
    if abstract:
        sources.append(("abstract", abstract))
    if doc is not None:
        if not abstract and doc.metadata.abstract:
            sources.append(("abstract", doc.metadata.abstract))
        for names in (("result", "experiment", "evaluation"), ("conclusion", "discussion")):
            found = section_body(doc, names)
            if found:
                sources.append((re.sub(r"^[A-Z]?\d+(?:\.\d+)*\.?\s*", "", found[0]).lower(), found[1][:20000]))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for where, text in sources:
        for sentence in sentences(text):
            key = sentence[:60].lower()
            if key in seen or len(sentence) > 400 or not has_measurement(sentence):
                continue
            seen.add(key)
            out.append((sentence, where))
            if len(out) >= limit:
                return out
    return out


def limitations(doc: Document | None) -> tuple[str, str] | None:
    """(the first sentences, section title) of a section that is really about limitations: its title
    says so. A conclusion is not a limitations section."""
    if doc is None:
        return None
    found = section_body(doc, ("limitation",))
    if not found:
        return None
    title, body = found
    parts = sentences(body)
    # "Limitations and Discussion" may open with discussion; keep the sentences that speak of limits.
    limiting = [s for s in parts if re.search(r"limit|not |cannot|can't|only|future|drawback|restrict|expensive|require", s, re.I)]
    chosen = (limiting or parts)[:2]
    if not chosen:
        return None
    return " ".join(chosen), title
