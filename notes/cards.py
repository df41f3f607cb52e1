"""Flash cards written inside Markdown notes, in the syntaxes people already use.

- `question :: answer` on one line (`:::` works too). A `::` between two word characters, as in
  `std::vector`, is not a separator, so code in prose does not become a card.
- A multi-line card: the question lines, a line holding only `?`, then the answer lines; the
  card ends at a blank line or a heading.
- Anki clozes: `{{c1::hidden text}}` or `{{c1::hidden text::hint}}`. Each distinct cloze number
  on a line makes one card; several deletions with the same number are hidden together.

Front matter, fenced code blocks, headings and HTML comments never hold cards. Parsing is a
pure function of the text; problems (an empty side, an unclosed cloze) are returned as issues,
never raised.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
CLOZE_OPEN_RE = re.compile(r"\{\{c\d+::")
# A separator `::` (or `:::`) that is not glued to word characters on both sides.
SEPARATOR_RE = re.compile(r"(?<!:)(:::?)(?!:)")
LIST_MARKER_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
INLINE_CODE_RE = re.compile(r"`[^`\n]*`")
MASK = "[...]"
# Cheap prefilters, each a necessary condition for its regex above (both `\s` and str.strip()
# use str.isspace), so a line that fails one is skipped without running the regex.
_FENCE_STARTS = ("```", "~~~")


class _cached_key:
    """functools.cached_property without its per-instance lock (Python < 3.12 takes one on
    every first access): the value is computed once and kept in the instance's __dict__."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass(frozen=True)
class ParsedCard:
    kind: str  # "basic" or "cloze"
    front: str
    back: str
    line: int  # 1-based line where the card starts
    source: str  # the card as written, cloze markup kept
    cloze_index: int | None = None

    def __init__(self, kind: str, front: str, back: str, line: int, source: str, cloze_index: int | None = None):
        # The dataclass's own __init__ for a frozen class sets each field through
        # object.__setattr__: twice the cost, and a sync builds one of these per card.
        fields = self.__dict__
        fields["kind"], fields["front"], fields["back"], fields["line"], fields["source"] = kind, front, back, line, source
        fields["cloze_index"] = cloze_index

    @_cached_key
    def key(self) -> str:
        """Exact identity: the same card text (whitespace aside) gives the same key."""
        # kind, cloze number, front and back with runs of whitespace squashed, \x1f between.
        basis = f"{self.kind}\x1f{self.cloze_index or 0}\x1f{' '.join(self.front.split())}\x1f{' '.join(self.back.split())}"
        return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:20]

    @property
    def text(self) -> str:
        """What similarity between two versions of a card is measured on."""
        return f"{self.front}\n{self.back}"


@dataclass(frozen=True)
class CardIssue:
    line: int
    problem: str
    excerpt: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}" + (f": {self.excerpt}" if self.excerpt else "")


@dataclass(frozen=True)
class ParseResult:
    cards: list[ParsedCard] = field(default_factory=list)
    issues: list[CardIssue] = field(default_factory=list)


def parse_cards(text: str) -> list[ParsedCard]:
    return parse(text).cards


def parse(text: str) -> ParseResult:
    cards: list[ParsedCard] = []
    issues: list[CardIssue] = []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _content_lines(text.split("\n"))
    # blocks[i] is line i + 1. The plain lines blocks[question:i] (since the last boundary or
    # one-line card) are the question of a `?` card.
    question = 0
    i = 0
    count = len(blocks)
    while i < count:
        line = blocks[i]
        if line is None:  # a boundary: blank line, heading, fence, comment
            i += 1
            question = i
            continue
        if ":" not in line:  # no `::` and no `{{c1::`: a plain line, or the `?` of a card
            if line.strip() == "?":
                i = _multiline_card(blocks, question, i, cards, issues)
                question = i
                continue
        elif _line_cards(i + 1, line, cards, issues):
            question = i + 1
        i += 1
    return ParseResult(cards, issues)


def _content_lines(lines: list[str]) -> list[str | None]:
    """The text of each line (index i is line i + 1), None for anything that separates cards."""
    in_fence: str | None = None
    in_comment = False
    start = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                start = j + 1
                break
    out: list[str | None] = [None] * start
    append = out.append
    for j in range(start, len(lines)):
        raw = lines[j]
        stripped = raw.strip()
        if not stripped:  # blank: a boundary in every state, and changes none
            append(None)
            continue
        first = stripped[0]
        # `first in` is a cheap necessary condition for each regex (`\s` and strip() agree).
        fence = FENCE_RE.match(raw) if first in "`~" else None
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
            append(None)
        elif fence:
            in_fence = fence.group(1)
            append(None)
        elif in_comment:
            if "-->" in raw:
                in_comment = False
            append(None)
        elif first == "<" and stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            append(None)
        elif first == "#" and HEADING_RE.match(raw):
            append(None)
        else:
            append(raw.rstrip())
    return out


def _skip_paragraph(blocks: list[str | None], i: int) -> int:
    count = len(blocks)
    while i < count and blocks[i] is not None:
        i += 1
    return i


def _multiline_card(blocks: list[str | None], start: int, mark: int, cards: list[ParsedCard], issues: list[CardIssue]) -> int:
    """The card whose question is blocks[start:mark] and whose `?` line is at index mark;
    returns the index after its answer."""
    end = _skip_paragraph(blocks, mark + 1)
    question = blocks[start:mark]
    answer_lines = blocks[mark + 1:end]
    line = start + 1
    text = "\n".join([_strip_marker(q) for q in question]).strip()
    answer = "\n".join(answer_lines).strip()
    if not text:
        issues.append(CardIssue(line, "a '?' card with no question above it"))
    elif not answer:
        issues.append(CardIssue(line, "a card with only a question (nothing after '?')", _excerpt(text)))
    else:
        cards.append(ParsedCard("basic", text, answer, line, "\n".join(question + ["?"] + answer_lines)))
    return end


def _line_cards(number: int, line: str, cards: list[ParsedCard], issues: list[CardIssue]) -> bool:
    """Parse a one-line card (or report why it is not one); False for a plain line."""
    body = _strip_marker(line)
    if "{{c" in body and CLOZE_OPEN_RE.search(body):
        _cloze_cards(number, body, cards, issues)
        return True
    split = _split_basic(body)
    if split is None:
        return False
    front, back = split
    if not front and not back:
        issues.append(CardIssue(number, "an empty card ('::' with nothing around it)"))
    elif not front:
        issues.append(CardIssue(number, "a card with an empty question", _excerpt(body)))
    elif not back:
        issues.append(CardIssue(number, "a card with only a question (nothing after '::')", _excerpt(body)))
    else:
        cards.append(ParsedCard("basic", front, back, number, body))
    return True


def _split_basic(body: str) -> tuple[str, str] | None:
    masked = INLINE_CODE_RE.sub(_mask_code, body) if "`" in body else body
    for match in SEPARATOR_RE.finditer(masked):
        start, end = match.span()
        before = masked[start - 1] if start else " "
        after = masked[end] if end < len(masked) else " "
        if _is_word(before) and _is_word(after):
            continue  # std::vector, a::b: code, not a card
        return body[:start].strip(), body[end:].strip()
    return None


def _mask_code(match: re.Match) -> str:
    return "\0" * (match.end() - match.start())


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _cloze_cards(number: int, body: str, cards: list[ParsedCard], issues: list[CardIssue]) -> None:
    match = CLOZE_RE.search(body)
    if match is not None:
        before, after = body[:match.start()], body[match.end():]
        if "{{c" not in before + after:  # the only deletion, and no unclosed one: most cloze lines
            index, hidden = int(match.group(1)), match.group(2)
            if not hidden.strip():
                issues.append(CardIssue(number, f"an empty cloze c{index}", _excerpt(body)))
            else:
                front = (before + _cloze_mask(match.group(3)) + after).strip()
                cards.append(ParsedCard("cloze", front, (before + hidden + after).strip(), number, body, index))
            return
    # One pass over the deletions; the texts between them are what CLOZE_RE.sub would keep.
    between: list[str] = []
    deletions: list[tuple[int, str, str | None]] = []  # (number, hidden text, hint)
    pos = 0
    for match in CLOZE_RE.finditer(body):
        start, end = match.span()
        between.append(body[pos:start])
        deletions.append((int(match.group(1)), match.group(2), match.group(3)))
        pos = end
    tail = body[pos:]
    if not deletions or CLOZE_OPEN_RE.search("".join(between) + tail):
        issues.append(CardIssue(number, "a cloze without closing braces '}}'", _excerpt(body)))
        return
    back: str | None = None
    for index in sorted({d[0] for d in deletions}):
        if not any(hidden.strip() for n, hidden, _ in deletions if n == index):
            issues.append(CardIssue(number, f"an empty cloze c{index}", _excerpt(body)))
            continue
        parts: list[str] = []
        for text, (n, hidden, hint) in zip(between, deletions):
            parts.append(text)
            parts.append(_cloze_mask(hint) if n == index else hidden)
        parts.append(tail)
        front = "".join(parts).strip()
        if back is None:
            back = ("".join([text + hidden for text, (_, hidden, _) in zip(between, deletions)]) + tail).strip()
        cards.append(ParsedCard("cloze", front, back, number, body, index))


def cloze_spans(source: str, index: int) -> tuple[str, list[tuple[int, int]]]:
    """The answer side of cloze `index` of a card as written (its `source`), and where in it the
    text that deletion `index` hid lies: what a review screen highlights. Exact where a diff of
    front and back guesses (CJK text repeats characters, and a diff then marks the wrong ones)."""
    text, spans, pos = "", [], 0
    for match in CLOZE_RE.finditer(source):
        text += source[pos:match.start()]
        if int(match.group(1)) == index:
            spans.append((len(text), len(text) + len(match.group(2))))
        text += match.group(2)
        pos = match.end()
    text += source[pos:]
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    return stripped, [(max(0, a - lead), min(len(stripped), b - lead)) for a, b in spans if b - lead > 0]


def _cloze_mask(hint: str | None) -> str:
    hint = (hint or "").strip()
    return f"[{hint}]" if hint else MASK


def _strip_marker(line: str) -> str:
    marker = LIST_MARKER_RE.match(line)  # anchored: the same as sub(..., count=1)
    return (line[marker.end():] if marker else line).strip()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _excerpt(text: str, width: int = 60) -> str:
    text = _squash(text)
    return text if len(text) <= width else text[: width - 1] + "…"
