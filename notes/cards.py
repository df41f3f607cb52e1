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
from functools import cached_property

CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
CLOZE_OPEN_RE = re.compile(r"\{\{c\d+::")
# A separator `::` (or `:::`) that is not glued to word characters on both sides.
SEPARATOR_RE = re.compile(r"(?<!:)(:::?)(?!:)")
LIST_MARKER_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
INLINE_CODE_RE = re.compile(r"`[^`\n]*`")
MASK = "[...]"


@dataclass(frozen=True)
class ParsedCard:
    kind: str  # "basic" or "cloze"
    front: str
    back: str
    line: int  # 1-based line where the card starts
    source: str  # the card as written, cloze markup kept
    cloze_index: int | None = None

    @cached_property
    def key(self) -> str:
        """Exact identity: the same card text (whitespace aside) gives the same key."""
        basis = "\x1f".join((self.kind, str(self.cloze_index or 0), _squash(self.front), _squash(self.back)))
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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = _content_lines(lines)
    # Plain lines since the last boundary or one-line card: the question of a `?` card.
    pending: list[tuple[int, str]] = []
    i = 0
    while i < len(blocks):
        number, line = blocks[i]
        if line is None:  # a boundary: blank line, heading, fence, comment
            pending = []
            i += 1
            continue
        if line.strip() == "?":
            i = _multiline_card(blocks, pending, i, cards, issues)
            pending = []
            continue
        if _line_cards(number, line, cards, issues):
            pending = []
        else:
            pending.append((number, line))
        i += 1
    return ParseResult(cards, issues)


def _content_lines(lines: list[str]) -> list[tuple[int, str | None]]:
    """(line number, text) with None standing for anything that separates cards."""
    out: list[tuple[int, str | None]] = []
    in_fence: str | None = None
    in_comment = False
    start = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                start = j + 1
                break
        for j in range(start):
            out.append((j + 1, None))
    for j in range(start, len(lines)):
        raw = lines[j]
        stripped = raw.strip()
        fence = FENCE_RE.match(raw)
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
            out.append((j + 1, None))
            continue
        if fence:
            in_fence = fence.group(1)
            out.append((j + 1, None))
            continue
        if in_comment:
            if "-->" in raw:
                in_comment = False
            out.append((j + 1, None))
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            out.append((j + 1, None))
            continue
        if not stripped or HEADING_RE.match(raw):
            out.append((j + 1, None))
            continue
        out.append((j + 1, raw.rstrip()))
    return out


def _skip_paragraph(blocks: list[tuple[int, str | None]], i: int) -> int:
    while i < len(blocks) and blocks[i][1] is not None:
        i += 1
    return i


def _multiline_card(blocks, question: list[tuple[int, str]], mark: int, cards: list[ParsedCard], issues: list[CardIssue]) -> int:
    """The card whose `?` line is at index mark; returns the index after its answer."""
    end = _skip_paragraph(blocks, mark + 1)
    answer_lines = [text for _, text in blocks[mark + 1:end]]
    line = question[0][0] if question else blocks[mark][0]
    text = "\n".join(_strip_marker(q) for _, q in question).strip()
    answer = "\n".join(answer_lines).strip()
    source = "\n".join([q for _, q in question] + ["?"] + answer_lines)
    if not text:
        issues.append(CardIssue(line, "a '?' card with no question above it"))
    elif not answer:
        issues.append(CardIssue(line, "a card with only a question (nothing after '?')", _excerpt(text)))
    else:
        cards.append(ParsedCard("basic", text, answer, line, source))
    return end


def _line_cards(number: int, line: str, cards: list[ParsedCard], issues: list[CardIssue]) -> bool:
    """Parse a one-line card (or report why it is not one); False for a plain line."""
    body = _strip_marker(line)
    if CLOZE_OPEN_RE.search(body):
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
    masked = INLINE_CODE_RE.sub(lambda m: "\0" * len(m.group()), body)
    for match in SEPARATOR_RE.finditer(masked):
        before = masked[match.start() - 1] if match.start() else " "
        after = masked[match.end()] if match.end() < len(masked) else " "
        if _is_word(before) and _is_word(after):
            continue  # std::vector, a::b: code, not a card
        return body[:match.start()].strip(), body[match.end():].strip()
    return None


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _cloze_cards(number: int, body: str, cards: list[ParsedCard], issues: list[CardIssue]) -> None:
    matches = list(CLOZE_RE.finditer(body))
    rest = CLOZE_RE.sub("", body)
    if CLOZE_OPEN_RE.search(rest) or not matches:
        issues.append(CardIssue(number, "a cloze without closing braces '}}'", _excerpt(body)))
        return
    indices = sorted({int(m.group(1)) for m in matches})
    for index in indices:
        if not any(m.group(2).strip() for m in matches if int(m.group(1)) == index):
            issues.append(CardIssue(number, f"an empty cloze c{index}", _excerpt(body)))
            continue
        front = CLOZE_RE.sub(lambda m: _cloze_front(m, index), body).strip()
        back = CLOZE_RE.sub(lambda m: m.group(2), body).strip()
        cards.append(ParsedCard("cloze", front, back, number, body, index))


def _cloze_front(match: re.Match, index: int) -> str:
    if int(match.group(1)) != index:
        return match.group(2)
    hint = (match.group(3) or "").strip()
    return f"[{hint}]" if hint else MASK


def _strip_marker(line: str) -> str:
    return LIST_MARKER_RE.sub("", line, count=1).strip()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _excerpt(text: str, width: int = 60) -> str:
    text = _squash(text)
    return text if len(text) <= width else text[: width - 1] + "…"
