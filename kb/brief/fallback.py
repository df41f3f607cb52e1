"""Where the note says nothing: one short line from the paper itself, marked as the paper's words.

Never a whole abstract: the problem is the abstract's first sentence, the method the sentence
where the authors say what they propose; limitations only from a section whose title says
"limitations" (a conclusion is not one), else nothing.
"""

from __future__ import annotations

import re

from kb.brief import numbers
from kb.brief.model import SectionText
from kb.pdf.model import Document

_PROPOSE = re.compile(r"\b(?:we|this paper|this work|our (?:method|approach))\s+(?:propose|introduce|present|develop|"
                      r"leverage|show|describe|use)|\bwe call\b|\bcalled\b", re.I)
MAX_LINE = 220  # characters: a line, not a paragraph


def _short(sentence: str) -> str:
    if len(sentence) <= MAX_LINE:
        return sentence
    cut = sentence[:MAX_LINE].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"


def problem_line(abstract: str | None) -> SectionText | None:
    parts = numbers.sentences(abstract or "")
    return SectionText(_short(parts[0]), "abstract") if parts else None


def method_line(abstract: str | None) -> SectionText | None:
    parts = numbers.sentences(abstract or "")
    # the sentence where the authors say what they propose; else the one after the problem's
    chosen = next((s for s in parts[1:] if _PROPOSE.search(s)), parts[1] if len(parts) > 1 else None)
    return SectionText(_short(chosen), "abstract") if chosen else None


def limitations(doc: Document | None) -> SectionText | None:
    found = numbers.limitations(doc)
    if found is None:
        return None
    text, title = found
    title = re.sub(r"^[A-Z]?\d+(?:\.\d+)*\.?\s*", "", title)
    return SectionText(_short(text), f"“{title}” section")
