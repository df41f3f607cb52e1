"""Paper titles, normalised so that variants of one title compare equal or close.

"Parameter-Efficient Transfer Learning for NLP" and "parameter efficient transfer learning
for natural language processing" normalise to the same string.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

# Expansions applied word-by-word after lower-casing, so short and long forms meet.
ABBREVIATIONS = {
    "nlp": "natural language processing",
    "nlu": "natural language understanding",
    "nlg": "natural language generation",
    "llm": "large language model",
    "llms": "large language models",
    "lm": "language model",
    "lms": "language models",
    "mt": "machine translation",
    "qa": "question answering",
    "rl": "reinforcement learning",
    "cnn": "convolutional neural network",
    "cnns": "convolutional neural networks",
    "rnn": "recurrent neural network",
    "dnn": "deep neural network",
    "dnns": "deep neural networks",
}

_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_POSSESSIVE = re.compile(r"(\w)'s\b")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
# "pre-training" / "pretraining" / "pre training", "fine-tuning" / "finetuning", "multi-task" / "multitask"
_JOINED_PREFIXES = {"pre", "fine", "multi", "semi", "non", "co", "sub", "re"}
# British spellings, so "quantisation" meets "quantization"
_SPELLING = re.compile(r"\b(\w+?)is(ation|ations|e|ed|es|ing|er|ers)\b")
_ISE_STEMS = {"quant", "optim", "normal", "regular", "general", "special", "organ", "real", "minim", "maxim", "summar",
              "visual", "parameter", "token", "character", "categor", "util", "central", "initial", "local", "standard",
              "vectors", "memor", "recogn", "emphas", "personal", "modular", "binar", "random", "discret", "factor"}


def _american(match: re.Match) -> str:
    stem, tail = match.group(1), match.group(2)
    if stem in _ISE_STEMS:
        return f"{stem}iz{tail}"
    return match.group(0)


def normalize(title: str) -> str:
    text = title or ""
    if not text.isascii():  # ASCII is its own NFKC and has no accents: most titles and references
        text = unicodedata.normalize("NFKC", text)
        # accents off (TÜLU -> tulu), but CJK and other scripts kept as they are
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = text.lower()
    text = text.replace("’", "'").replace("‘", "'").replace("&", " and ")
    if "'" in text:  # each pass over the text costs: references are normalised by the ten thousand
        text = _POSSESSIVE.sub(r"\1s", text)
        text = _APOSTROPHE.sub("", text)  # don't -> dont
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    if "is" in text:
        text = _SPELLING.sub(_american, text)
    raw = text.split()
    merged: list[str] = []
    for w in raw:
        if merged and merged[-1] in _JOINED_PREFIXES and w.isalpha() and len(w) > 3:
            merged[-1] = merged[-1] + w
        else:
            merged.append(w)
    return " ".join([ABBREVIATIONS.get(w, w) for w in merged])  # words of split(): single spaces


def token_sorted(norm: str) -> str:
    """A title's words in sorted order: rapidfuzz's token_sort_ratio is plain ratio over these,
    so a title scored against many is sorted once, not once per pair."""
    return " ".join(sorted(norm.split()))


def similarity(a: str, b: str) -> float:
    """0..100 similarity of two already-normalised titles."""
    from rapidfuzz import fuzz

    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    full = fuzz.ratio(a, b)
    # "LoRA" vs "LoRA: Low-Rank Adaptation of Large Language Models": a short form that is
    # the head of the long one counts, but only when the short form has some substance.
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 12 and (long_.startswith(short + " ") or long_.startswith(short)):
        return max(full, 95.0)
    return max(full, fuzz.token_sort_ratio(a, b) - 3)


class TitleIndex:
    """Normalised titles, each scored against one title at a time exactly as `similarity` scores
    a pair, without a Python call per pair.

    Both ratios come from rapidfuzz's cdist (C++; token_sort_ratio as plain ratio over titles whose
    words were sorted once, which took a sixth of the time); the three cases it does not
    cover (an empty title, the same title, one title the head of the other) are looked up: equal
    titles in a dict, titles that begin with the query by bisection in sorted order, titles the
    query begins with by its own prefixes. Pair by pair, a paper's 50 references against 1,000
    library titles took 135 ms of every indexed paper (now 8 ms), and the seed plans' 128 papers
    against 5,000 Zotero titles 2.2 s (now 0.09 s; `python -m bench graph zotero`)."""

    HEAD_MIN = 12  # as in `similarity`: the short form of a title needs some substance

    def __init__(self, norms: Sequence[str]):
        self.norms = list(norms)
        self._at: dict[str, list[int]] = {}
        for i, norm in enumerate(self.norms):
            self._at.setdefault(norm, []).append(i)
        self._sorted = sorted(norm for norm in self._at if norm)
        self._lengths = sorted({len(norm) for norm in self._at})  # the heads of a title worth looking up
        self._words_sorted = [token_sorted(norm) for norm in self.norms]

    def scores(self, title: str) -> Any:
        """`similarity(title, n)` for every title n of the index, in its order (a numpy array)."""
        return self.scores_many([title])[0]

    def scores_many(self, queries: Sequence[str]) -> list[Any]:
        """`scores` of each query, all ratios in one cdist call (each call converts the titles)."""
        import numpy
        from rapidfuzz import fuzz, process

        asked = [q for q in queries if q]
        if not asked or not self.norms:
            return [numpy.zeros(len(self.norms)) for _ in queries]
        full = process.cdist(asked, self.norms, scorer=fuzz.ratio, dtype=numpy.float64)
        ordered = process.cdist([token_sorted(q) for q in asked], self._words_sorted, scorer=fuzz.ratio, dtype=numpy.float64)
        best = numpy.maximum(full, ordered - 3)
        out, row = [], 0
        for query in queries:
            if query:
                out.append(self._fix(query, full[row], best[row]))
                row += 1
            else:
                out.append(numpy.zeros(len(self.norms)))
        return out

    def best_many(self, queries: Sequence[str]) -> list[tuple[int | None, float]]:
        """For each query, the position of its best-scoring title (the first of equals) and the
        score; (None, 0.0) when nothing scores above 0."""
        out = []
        for scores in self.scores_many(queries):
            top = int(scores.argmax()) if len(scores) else None
            out.append((top, float(scores[top])) if top is not None and scores[top] > 0 else (None, 0.0))
        return out

    def _fix(self, title: str, full: Any, out: Any) -> Any:
        """The cases the ratios do not cover, as `similarity` decides them."""
        for head in self._heads(title):
            for i in self._at[head]:
                out[i] = max(full[i], 95.0)
        for i in self._at.get(title, ()):
            out[i] = 100.0
        for i in self._at.get("", ()):
            out[i] = 0.0
        return out

    def _heads(self, title: str) -> list[str]:
        """Indexed titles (not equal to `title`) of which one is the head of the other, the shorter
        at least HEAD_MIN long."""
        found = [title[:k] for k in self._lengths if self.HEAD_MIN <= k < len(title) and title[:k] in self._at]
        if len(title) >= self.HEAD_MIN:
            k = bisect.bisect_right(self._sorted, title)
            while k < len(self._sorted) and self._sorted[k].startswith(title):
                found.append(self._sorted[k])
                k += 1
        return found


MATCH_THRESHOLD = 90.0
