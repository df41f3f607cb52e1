"""Paper titles, normalised so that variants of one title compare equal or close.

"Parameter-Efficient Transfer Learning for NLP" and "parameter efficient transfer learning
for natural language processing" normalise to the same string.
"""

from __future__ import annotations

import re
import unicodedata

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
_SPACES = re.compile(r"\s+")


def normalize(title: str) -> str:
    text = unicodedata.normalize("NFKC", title or "").lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(\w)'s\b", r"\1s", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    words = [ABBREVIATIONS.get(w, w) for w in text.split()]
    return _SPACES.sub(" ", " ".join(words)).strip()


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


MATCH_THRESHOLD = 90.0
