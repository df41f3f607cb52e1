"""Which card in the edited note is which stored card, so review history survives edits.

Editing text around a card changes nothing (cards are matched by content, not position). A
card whose own text was lightly edited (a typo fixed, a word added) is matched to its stored
self by similarity; a rewritten card is a new card, and the old one is suspended by the caller.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from notes.cards import ParsedCard

# rapidfuzz ratio (0-100) at or above which two versions of a card are the same card. A typo
# in a short card scores ~95; changing what a card asks scores well under 70.
SIMILAR_ENOUGH = 80.0
# Fuzzy candidates kept per edited card, best first. Beyond a handful, a card only competes for
# stored cards that a closer version of itself already took; bounding it keeps a note whose
# 5,000 cards were all edited at 5,000 x 16 pairs instead of 25 million.
CANDIDATES = 16
# Pairs scored per group of cards (kind, cloze) at most: about a second of rapidfuzz. Up to
# this, every leftover parsed card is compared with every leftover stored card (exact); beyond
# it (thousands of cards edited at once) each is compared with the stored cards in a window
# around its own position in the note, wide enough for the window to cost this much.
MAX_PAIRS = 2_000_000
# Similarity scores computed at once (8 bytes each): 2 million is 16 MB, whatever the note's size.
BLOCK_CELLS = 2_000_000


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
    pairs = _similar_pairs(left, unmatched, threshold)
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


def _similar_pairs(left: list[StoredCard], unmatched: list[ParsedCard], threshold: float) -> list[tuple]:
    """(-score, line distance, stored id, parsed index, stored card) for every pair of the same
    kind and cloze scoring at least `threshold`, at most CANDIDATES per parsed card (and, when
    more than MAX_PAIRS pairs would be scored, only among the stored cards near its position).

    Exact text matches were taken before, so only the leftovers on both sides are compared, by
    rapidfuzz's cdist (C++, one row block at a time) rather than one Python call per pair.
    """
    groups: dict[tuple, tuple[list[StoredCard], list[int]]] = {}
    for s in left:
        groups.setdefault((s.kind, s.cloze_index), ([], []))[0].append(s)
    for p_index, card in enumerate(unmatched):
        group = groups.get((card.kind, card.cloze_index))
        if group is not None:
            group[1].append(p_index)
    pairs = []
    for stored_group, parsed_indexes in groups.values():
        if parsed_indexes:
            pairs.extend(_group_pairs(sorted(stored_group, key=lambda s: (s.line, s.id)), parsed_indexes, unmatched, threshold))
    return pairs


def _group_pairs(stored: list[StoredCard], parsed_indexes: list[int], unmatched: list[ParsedCard], threshold: float) -> list[tuple]:
    """Pairs within one (kind, cloze) group; `stored` in note order, parsed_indexes too."""
    import numpy as np

    lines = np.array([s.line for s in stored])
    ids = np.array([s.id for s in stored])
    if len(stored) * len(parsed_indexes) <= MAX_PAIRS:
        window, step = len(stored), max(1, BLOCK_CELLS // len(stored))  # every pair: exact
    else:
        window = max(CANDIDATES, MAX_PAIRS // (2 * len(parsed_indexes)))
        step = window  # a block of `window` cards against at most 3 x `window` stored ones
    pairs = []
    for start in range(0, len(parsed_indexes), step):
        block = parsed_indexes[start:start + step]
        # Where this block sits in the stored cards, by proportion of the note's cards.
        centre_lo = start * len(stored) // len(parsed_indexes)
        centre_hi = (start + len(block)) * len(stored) // len(parsed_indexes)
        lo, hi = max(0, centre_lo - window), min(len(stored), centre_hi + window)
        scores = process.cdist([unmatched[i].text for i in block], [s.text for s in stored[lo:hi]], scorer=fuzz.ratio,
                               score_cutoff=threshold, dtype=np.float64, workers=1)
        for row, p_index in zip(scores, block):
            found = np.flatnonzero(row >= threshold)
            if not len(found):
                continue
            line = unmatched[p_index].line
            distance = np.abs(lines[lo + found] - line)
            order = np.lexsort((ids[lo + found], distance, -row[found]))[:CANDIDATES]
            for k in found[order]:
                s = stored[lo + k]
                pairs.append((-float(row[k]), abs(s.line - line), s.id, p_index, s))
    return pairs
