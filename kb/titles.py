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
    text = unicodedata.normalize("NFKC", title or "")
    # accents off (TÜLU -> tulu), but CJK and other scripts kept as they are
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = text.lower()
    text = text.replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = re.sub(r"(\w)'s\b", r"\1s", text)
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)  # don't -> dont
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _SPELLING.sub(_american, text)
    raw = text.split()
    merged: list[str] = []
    for w in raw:
        if merged and merged[-1] in _JOINED_PREFIXES and w.isalpha() and len(w) > 3:
            merged[-1] = merged[-1] + w
        else:
            merged.append(w)
    words = [ABBREVIATIONS.get(w, w) for w in merged]
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
