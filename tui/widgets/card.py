"""A flash card: front, then the back once revealed; cloze deletions marked without colour."""

from __future__ import annotations

import difflib
import re

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

# A hidden part of a cloze front: [...] or [a hint].
GAP_RE = re.compile(r"\[[^\[\]]*\]")


def cloze_front(front: str) -> Text:
    """The front with each gap reversed and bold, so it stands out in any theme."""
    text, pos = Text(), 0
    for m in GAP_RE.finditer(front):
        text.append(front[pos:m.start()])
        text.append(m.group(0), style="bold reverse")
        pos = m.end()
    text.append(front[pos:])
    return text


def cloze_answer(front: str, back: str, source: str = "", index: int | None = None) -> Text:
    """The full sentence with what filled the gaps underlined and bold: exactly the deletion's
    text when the card as written is known (notes.cards.cloze_spans), else a diff of the sides."""
    if source and index is not None:
        from notes.cards import cloze_spans

        full, spans = cloze_spans(source, index)
        if full == back and spans:
            text = Text(full)
            for start, end in spans:
                text.stylize("bold underline reverse", start, end)
            return text
    text = Text()
    matcher = difflib.SequenceMatcher(a=front, b=back, autojunk=False)
    for op, _, _, j1, j2 in matcher.get_opcodes():
        text.append(back[j1:j2], style="" if op == "equal" else "bold underline")
    return text


class CardView(Static):
    def show_card(self, card: dict, revealed: bool) -> None:
        origin = f"{card.get('title') or 'no paper'}  ·  {card.get('note_path') or ''}:{card.get('line') or ''}"
        parts = [Text(origin, style="italic"), Text(f"{card.get('kind')} · {card.get('state')}", style="dim"), Text("")]
        parts.append(cloze_front(card.get("front", "")) if card.get("kind") == "cloze" else Text(card.get("front", "")))
        if revealed:
            parts += [Text(""), Text("─" * 20, style="dim"), Text("")]
            if card.get("kind") == "cloze":
                parts.append(cloze_answer(card.get("front", ""), card.get("back", ""), card.get("source") or "", card.get("cloze_index")))
            else:
                parts.append(Text(card.get("back", "")))
        self.update(Group(*parts))
