"""Which card in the edited note is which stored card, so review history survives edits.

Editing text around a card changes nothing (cards are matched by content, not position). A
card whose own text was lightly edited (a typo fixed, a word added) is matched to its stored
self by similarity; a rewritten card is a new card, and the old one is suspended by the caller.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from notes.cards import ParsedCard

# rapidfuzz ratio (0-100) at or above which two versions of a card are the same card. A typo
# in a short card scores ~95; changing what a card asks scores well under 70.
SIMILAR_ENOUGH = 80.0


@dataclass(frozen=True)
class StoredCard:
    id: int
    kind: str
    key: str
    cloze_index: int | None
    text: str  # front + "\n" + back, as ParsedCard.text
    line: int


@dataclass
class Matching:
    same: list[tuple[int, ParsedCard]] = field(default_factory=list)  # unchanged text
    edited: list[tuple[int, ParsedCard]] = field(default_factory=list)  # lightly edited text
    new: list[ParsedCard] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)  # stored ids no longer in the note


def match(stored: list[StoredCard], parsed: list[ParsedCard], threshold: float = SIMILAR_ENOUGH) -> Matching:
    result = Matching()
    by_key: dict[str, list[StoredCard]] = defaultdict(list)
    for card in sorted(stored, key=lambda c: c.id):
        by_key[card.key].append(card)
    unmatched: list[ParsedCard] = []
    for card in parsed:
        candidates = by_key.get(card.key)
        if candidates:
            result.same.append((candidates.pop(0).id, card))
        else:
            unmatched.append(card)
    left = [c for group in by_key.values() for c in group]
    pairs = []
    for p_index, card in enumerate(unmatched):
        for s in left:
            if s.kind != card.kind or s.cloze_index != card.cloze_index:
                continue
            score = fuzz.ratio(s.text, card.text)
            if score >= threshold:
                pairs.append((-score, abs(s.line - card.line), s.id, p_index, s))
    taken_stored: set[int] = set()
    taken_parsed: set[int] = set()
    for _, _, s_id, p_index, _ in sorted(pairs):
        if s_id in taken_stored or p_index in taken_parsed:
            continue
        taken_stored.add(s_id)
        taken_parsed.add(p_index)
        result.edited.append((s_id, unmatched[p_index]))
    result.new = [c for i, c in enumerate(unmatched) if i not in taken_parsed]
    result.gone = sorted(s.id for s in left if s.id not in taken_stored)
    return result
