"""TitleIndex scores a title against many at once, and must score exactly as `similarity` does
pair by pair: plan matching, reference linking and their thresholds depend on the numbers."""

from __future__ import annotations

import random

from kb import titles
from kb.titles import TitleIndex, similarity

WORDS = ("attention", "is", "all", "you", "need", "lora", "low", "rank", "adaptation", "of", "large", "language",
         "models", "bert", "pre", "training", "deep", "bidirectional", "transformers", "注意力", "机制", "scaling", "laws")


def _titles(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 9))]
        out.append(" ".join(words))
    base = out[:20]
    # the cases cdist leaves to the lookups: the same title, a head of one, one with a head added, empties
    out += base[:5] + [t[: rng.randint(1, len(t))] for t in base] + [t + " " + rng.choice(WORDS) for t in base] + ["", ""]
    rng.shuffle(out)
    return out


def test_the_index_scores_exactly_as_similarity_pair_by_pair():
    rng = random.Random(7)
    pool = _titles(rng, 300)
    index = TitleIndex(pool)
    queries = rng.sample(pool, 60) + ["", "attention is all you need", "lora low rank adaptation of large language models"]
    for query in queries:
        assert index.scores(query).tolist() == [similarity(query, other) for other in pool], query
    assert [s.tolist() for s in index.scores_many(queries)] == [[similarity(q, other) for other in pool] for q in queries]


def test_real_title_variants_score_as_before():
    pool = [titles.normalize(t) for t in (
        "LoRA: Low-Rank Adaptation of Large Language Models",
        "LoRA",
        "Attention Is All You Need",
        "Parameter-Efficient Transfer Learning for NLP",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "BERT: Pre-training of Deep Bidirectional Transformers",
        "",
    )]
    index = TitleIndex(pool)
    for query in ("parameter efficient transfer learning for natural language processing", "bert pre training of deep bidirectional transformers",
                  "lora", titles.normalize("Attention is all you need."), "low rank adaptation"):
        assert index.scores(query).tolist() == [similarity(query, other) for other in pool], query


def test_an_empty_index_scores_nothing():
    assert TitleIndex([]).scores("attention").tolist() == []


def test_the_best_title_is_the_first_of_equals_and_none_when_nothing_scores():
    index = TitleIndex(["attention is all you need", "lora", "attention is all you need", ""])
    assert index.best_many(["attention is all you need", "zzzz", ""]) == [(0, 100.0), (None, 0.0), (None, 0.0)]
