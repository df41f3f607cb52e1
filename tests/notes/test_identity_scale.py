"""Card identity at scale: the bounded matcher gives the all-pairs matcher's answer, and a note
whose 5,000 cards were all edited is matched card for card (the all-pairs one took 209 s)."""

from __future__ import annotations

import random
import time

from rapidfuzz import fuzz

from notes import identity
from notes.cards import parse_cards


def _all_pairs(stored, parsed, threshold=identity.SIMILAR_ENOUGH):
    """The matcher as it was before: exact keys, then every leftover pair scored in Python."""
    result = identity.Matching()
    by_key = {}
    for card in sorted(stored, key=lambda c: c.id):
        by_key.setdefault(card.key, []).append(card)
    unmatched = []
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
                pairs.append((-score, abs(s.line - card.line), s.id, p_index))
    taken_stored, taken_parsed = set(), set()
    for _, _, s_id, p_index in sorted(pairs):
        if s_id in taken_stored or p_index in taken_parsed:
            continue
        taken_stored.add(s_id)
        taken_parsed.add(p_index)
        result.edited.append((s_id, unmatched[p_index]))
    result.new = [c for i, c in enumerate(unmatched) if i not in taken_parsed]
    result.gone = sorted(s.id for s in left if s.id not in taken_stored)
    return result


def _note(n: int, rng: random.Random) -> str:
    words = ["rank", "adapter", "teacher", "student", "attention", "softmax", "tile", "quantile", "outlier", "scaling"]
    lines = []
    for i in range(n):
        w = rng.sample(words, 3)
        if i % 3 == 0:
            lines.append(f"{{{{c1::{w[0].title()} {i}}}}} makes the {w[1]} of block {i % 97} use {w[2]}")
        else:
            lines.append(f"- Why does the {w[0]} of step {i} need {w[1]}? :: because {w[2]} grows as {i * 3}")
    return "\n".join(lines)


def _edit(text: str, rng: random.Random, share: float) -> str:
    out = []
    for line in text.splitlines():
        r = rng.random()
        if r < share:
            at = rng.randrange(8, len(line) - 4)
            line = line[:at] + rng.choice("xyz ") + line[at + 1:]  # a typo
        elif r < share + 0.05:
            line = f"- Entirely new question {rng.random():.6f}? :: a new answer"
        out.append(line)
    rng.shuffle(out)
    return "\n".join(out)


def _stored(cards):
    return [identity.StoredCard(i + 1, c.kind, c.key, c.cloze_index, c.text, c.line) for i, c in enumerate(cards)]


def _summary(m):
    return (sorted((i, c.text) for i, c in m.same), sorted((i, c.text) for i, c in m.edited),
            sorted(c.text for c in m.new), m.gone)


def test_bounded_matcher_agrees_with_all_pairs_on_random_edits():
    rng = random.Random(19)
    for trial in range(12):
        old = parse_cards(_note(rng.randrange(5, 120), rng))
        new = parse_cards(_edit("\n".join(c.source for c in old), rng, share=rng.choice([0.2, 0.6, 1.0])))
        stored = _stored(old)
        assert _summary(identity.match(stored, new)) == _summary(_all_pairs(stored, new)), trial


def test_five_thousand_edited_cards_match_their_old_selves_in_seconds():
    rng = random.Random(5)
    old = parse_cards(_note(5000, rng))
    stored = _stored(old)
    # Every card gets a typo (at the end of its text, so no two edits collide), order kept.
    edited = parse_cards("\n".join(c.source + "s" for c in old))
    assert len(old) == len(edited) == 5000
    t0 = time.perf_counter()
    m = identity.match(stored, edited)
    seconds = time.perf_counter() - t0
    assert not m.same and not m.new and not m.gone
    assert sorted(i for i, _ in m.edited) == list(range(1, 5001))
    assert all(stored[i - 1].line == card.line for i, card in m.edited)
    assert seconds < 30, seconds  # all pairs took minutes; the bounded matcher takes about one second
