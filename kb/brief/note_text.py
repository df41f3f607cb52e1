"""The user's own words from a note, placed in the brief's sections by meaning, never dropped.

A note may follow the template (`## Problem`, `## Method`, ...), use its own headings in Chinese
or English (`## 动机`, `## 实验结果`), lead paragraphs with a label (`**方法**：...`, `Method: ...`),
or be a free list of paragraphs and bullets. Each block goes to the section its heading, label
or keywords name; what names no section goes to "notes" (shown on the notes slide), so nothing
the user wrote is lost. Flash-card syntax is rendered as plain text: `question :: answer` as
"question: answer", a cloze as its answer, a `?` card's question and answer on one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Sections in the order a block's words are tested; the first whose keyword appears wins.
# "questions" precedes "problem" because 讨论问题 holds 问题.
SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("takeaway", ("takeaway", "tl;dr", "tldr", "summary", "one-line", "一句话", "总结", "要点", "概述")),
    ("questions", ("question", "to ask", "discussion point", "open issue", "疑问", "讨论", "思考", "待解决", "想问")),
    ("limitations", ("limitation", "weakness", "drawback", "shortcoming", "caveat", "局限", "不足", "缺点", "缺陷")),
    ("results", ("result", "experiment", "finding", "evaluation", "benchmark", "number", "结果", "实验", "发现", "效果", "性能")),
    ("method", ("method", "approach", "idea", "technique", "architecture", "how it works", "方法", "思路", "原理", "做法", "算法", "核心")),
    ("problem", ("problem", "motivation", "background", "why", "goal", "task", "问题", "动机", "背景", "痛点")),
    ("notes", ("connection", "related", "link", "note", "thought", "相关", "联系", "笔记", "心得", "感想")),
)

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
# A leading label: "**方法**：", "Method:", "问题：", "Q:" (up to 20 characters before the colon).
_LABEL = re.compile(r"^\s*(?:\*\*|__)?([^:：*_\n]{1,20}?)(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?=\S)")
_WIKILINK = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
CARD_MARK = "\x02"  # starts a block rendered from a card, so it can be placed as one
_LEFT_SEPARATOR = re.compile(r"\s+:::?\s+")  # a `::` left beside a cloze on the same line
# What a sentence about a problem or about a method tends to say, in English and Chinese.
_PROBLEM_CUES = re.compile(r"\b(?:slow|expensive|costly|hard|difficult|cannot|can't|bottleneck|challeng|suffer|quadratic|"
                           r"memory-hungry|too (?:large|big|slow)|fails?)\b|太贵|太慢|太大|难以|无法|瓶颈|代价|开销|昂贵", re.I)
_METHOD_CUES = re.compile(r"\b(?:propos|introduc|tiles?|fuses?|recomput|replac|freez|learns?|trains?|appl(?:y|ies)|"
                          r"combin|quantiz|quantis|distil|decompos|approximat|uses?|instead of)\w*|提出|采用|使用|通过|利用|引入|训练|拟合|计算|设计|构建|损失|优化", re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass
class NoteContent:
    """What the user wrote, per section key (takeaway, problem, method, results, limitations,
    questions, notes), each a list of blocks (a paragraph or a bullet) in plain text."""

    blocks: dict[str, list[str]] = field(default_factory=dict)
    cards: int = 0  # flash cards in the note
    only_cards: bool = False  # every line the user wrote is a card
    lang: str | None = None  # "zh" or "en": the language most of the note is written in

    def text(self, key: str) -> str:
        return "\n".join(self.blocks.get(key, []))

    def has(self, key: str) -> bool:
        return bool(self.blocks.get(key))


def section_for(words: str) -> str | None:
    """The section a heading or label names, by its Chinese or English keywords."""
    lowered = words.lower()
    for key, keywords in SECTION_WORDS:
        if any(k in lowered for k in keywords):
            return key
    return None


def plain(text: str) -> str:
    """Markdown inline syntax a slide cannot show, removed: emphasis, code ticks, wiki links, HTML comments."""
    text = _COMMENT.sub("", text)
    text = _LEFT_SEPARATOR.sub(" — ", text)
    text = _WIKILINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.strip()


def unwrap(text: str) -> str:
    """A hard-wrapped paragraph as one line: a space between English words, none between Chinese characters."""
    if "```" in text or "~~~" in text:
        return text
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        glue = "" if _CJK.match(out[-1:]) or _CJK.match(line[:1]) or out[-1:] in "，。；：、" else " "
        out += glue + line
    return out


def render_cards(text: str) -> tuple[str, int]:
    """The note's text with card syntax turned into plain sentences; and how many cards it held."""
    from notes.cards import CLOZE_RE, parse

    parsed = parse(text)
    one_line = {card.line: card for card in parsed.cards if card.kind == "basic" and card.source.count("\n") == 0
                and "\n" not in card.front + card.back}
    out: list[str] = []
    join_next = False
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        card = one_line.get(number)
        if card is not None or "{{c" in line:
            if card is not None:
                line = f"{card.front} — {card.back}"
            else:
                line = _LIST_MARKER.sub("", CLOZE_RE.sub(lambda m: m.group(2), line), count=1)
            out += ["", CARD_MARK + line, ""]  # a card is a block of its own, not part of the paragraph around it
            continue
        if line.strip() == "?" and out and out[-1].strip():
            join_next = True  # a multi-line card: its question, then its answer, on one line
            continue
        if join_next and line.strip():
            out[-1] = out[-1].rstrip() + " — " + line.strip()
            join_next = False
            continue
        join_next = False
        out.append(line)
    return "\n".join(out), len(parsed.cards)


def language(text: str) -> str | None:
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk + latin < 5:
        return None
    # A Chinese sentence of 20 characters is about as much as 5 English words.
    return "zh" if cjk / 4 >= latin else "en"


def _blocks(body: str) -> list[tuple[str | None, str]]:
    """(heading of the block, block text) for each paragraph or bullet of the body."""
    out: list[tuple[str | None, str]] = []
    heading: str | None = None
    para: list[str] = []
    in_fence = False

    def flush() -> None:
        if para:
            out.append((heading, "\n".join(para).strip()))
            para.clear()

    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            para.append(line)
            continue
        if in_fence:
            para.append(line)
            continue
        match = _HEADING.match(line)
        if match:
            flush()
            heading = match.group(2).strip()
            continue
        if not line.strip():
            flush()
            continue
        if _LIST_MARKER.match(line):  # each bullet is its own block
            flush()
            para.append(_LIST_MARKER.sub("", line, count=1))
            continue
        if para and para[-1] and line.startswith((" ", "\t")):
            para[-1] = para[-1] + " " + line.strip()
            continue
        para.append(line.strip())
    flush()
    return out


def _strip_template(body: str, title: str | None) -> str:
    """Drop what the template wrote, not the user: the `# Title` line, the byline, the quoted abstract."""
    lines = body.split("\n")
    kept: list[str] = []
    first_h2 = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    for i, line in enumerate(lines):
        if i < first_h2:
            stripped = line.strip()
            if stripped.startswith("# ") and (title is None or _same(stripped[2:], title) or i < 3):
                continue
            if stripped.startswith(">") or (stripped.startswith("*") and stripped.endswith(("*", ")")) and "(" in stripped and i < 6):
                continue  # the abstract as quoted by the template, the byline
        kept.append(line)
    return "\n".join(kept)


def _same(a: str, b: str) -> bool:
    from kb.titles import normalize

    return normalize(a)[:30] == normalize(b)[:30]


def read(note: Path | None, title: str | None = None) -> NoteContent:
    if note is None or not note.exists():
        return NoteContent()
    from notes.files import read_text

    raw = read_text(note)
    body = _COMMENT.sub("", _FRONT_MATTER.sub("", raw, count=1))
    body = _strip_template(body, title)
    rendered, n_cards = render_cards(body)
    content = NoteContent(cards=n_cards)
    written = []
    for heading, block in _blocks(rendered):
        is_card = block.startswith(CARD_MARK)
        block = block.lstrip(CARD_MARK)
        text = unwrap(plain(block))
        if not text:
            continue
        written.append(text)
        key = section_for(heading) if heading else None
        label = None if is_card else _LABEL.match(block)
        if label and section_for(label.group(1)):
            key = key if key and key != "notes" and heading else section_for(label.group(1))
            text = unwrap(plain(block[label.end():])) or text
        if key is None:
            key = "notes" if is_card else _guess(text, content)
        content.blocks.setdefault(key, []).append(text)
    content.lang = language("\n".join(written))
    content.only_cards = n_cards > 0 and _card_lines(body) >= _content_lines(body)
    return content


def _guess(text: str, so_far: NoteContent) -> str:
    """A block under no heading and without a label, placed by what it says: a question, a
    measurement, a sentence that opens with a section's word; else the opening paragraph states
    the problem, and the rest are notes."""
    if text.rstrip().endswith(("?", "？")) and len(text) < 300:
        return "questions"
    from kb.brief.numbers import has_measurement

    if has_measurement(text):
        return "results"
    opening = section_for(text[:12])
    if opening and opening != "notes":
        return opening
    if _PROBLEM_CUES.search(text):
        return "problem"
    if _METHOD_CUES.search(text):
        return "method"
    return "problem" if not any(so_far.blocks.values()) else "notes"


def _content_lines(body: str) -> int:
    return sum(1 for line in body.split("\n") if line.strip() and not _HEADING.match(line))


def _card_lines(body: str) -> int:
    """Lines of the body that belong to a card (its question, `?` and answer lines)."""
    from notes.cards import parse

    lines: set[int] = set()
    for card in parse(body).cards:
        lines.update(range(card.line, card.line + card.source.count("\n") + 1))
    return len(lines)
