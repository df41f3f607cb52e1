"""Offline data sets, built at run time from what ships with Python and its packages.

Each returns its data and a sha256 of the content: the run record keeps the hash, because the
standard library's docstrings (and so the data) differ between Python versions.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import random
import re

# Module families of the standard library; a docstring's label is the family it comes from.
FAMILIES = {
    "asyncio": ("asyncio",),
    "email": ("email",),
    "xml": ("xml",),
    "unittest": ("unittest",),
    "logging": ("logging",),
    "http": ("http", "urllib"),
    "importlib": ("importlib",),
    "multiprocessing": ("multiprocessing", "concurrent"),
}


def _walk(package: str):
    try:
        pkg = importlib.import_module(package)
    except Exception:
        return
    yield pkg
    for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), package + ".", onerror=lambda _: None):
        if any(part.startswith("_") or part in ("tests", "test", "__main__") for part in info.name.split(".")[1:]):
            continue
        try:
            yield importlib.import_module(info.name)
        except Exception:  # platform-only modules (asyncio.windows_events, ...)
            continue


def _clean(doc: str, max_words: int) -> str:
    text = " ".join(doc.split())
    return " ".join(text.split(" ")[:max_words])


def stdlib_docstrings(families: tuple[str, ...] = ("asyncio", "email", "xml", "unittest"), per_class: int = 120,
                      min_words: int = 6, max_words: int = 48, seed: int = 0) -> tuple[list[str], list[int], list[str], str]:
    """Text classification: the docstrings of functions, classes and methods, labelled by module
    family. Returns (texts, labels, class names, hash); classes balanced to `per_class` each."""
    texts: list[str] = []
    labels: list[int] = []
    for label, family in enumerate(families):
        seen: set[str] = set()
        docs: list[str] = []
        for package in FAMILIES[family]:
            for mod in _walk(package):
                objs = [mod]
                for name, obj in sorted(vars(mod).items()):
                    if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                        continue
                    objs.append(obj)
                    if inspect.isclass(obj):
                        objs += [m for n, m in sorted(vars(obj).items()) if not n.startswith("_") and callable(m)]
                for obj in objs:
                    doc = getattr(obj, "__doc__", None)  # its own docstring, not one inherited
                    if not isinstance(doc, str):
                        continue
                    if not doc:
                        continue
                    text = _clean(doc, max_words)
                    if len(text.split()) >= min_words and text not in seen:
                        seen.add(text)
                        docs.append(text)
        docs.sort()
        random.Random(seed).shuffle(docs)
        for text in docs[:per_class]:
            texts.append(text)
            labels.append(label)
    return texts, labels, list(families), _hash(texts, labels)


def rotated(texts: list[str], seed: int, max_words: int = 24) -> tuple[list[str], list[int]]:
    """A task that needs adaptation: half the texts rotated at a random word ("...the loop. Run
    until" instead of "Run until ... the loop."), label 1 = rotated. The words, and so a bag of
    them, stay the same: a frozen sentence encoder's mean-pooled features barely tell the two
    apart (a logistic regression on MiniLM's: 67.5%), a fine-tuned encoder can learn where a
    sentence starts and ends."""
    rng = random.Random(seed)
    out, labels = [], []
    for text in texts:
        words = text.split()[:max_words]
        if len(words) > 2 and rng.random() < 0.5:
            cut = rng.randrange(1, len(words))
            words = words[cut:] + words[:cut]
            labels.append(1)
        else:
            labels.append(0)
        out.append(" ".join(words))
    return out, labels


def split(n: int, test_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    k = int(round(n * test_fraction))
    return idx[k:], idx[:k]


def digits() -> tuple["object", "object", str]:
    """scikit-learn's 8x8 handwritten digits (1797 images): X scaled to [0, 1], y in 0..9."""
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return X, y, hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()[:16]


def pydoc_topics(max_passages: int = 200, min_words: int = 12, max_words: int = 64) -> tuple[list[str], str]:
    """Passages of the Python reference manual shipped as `pydoc_data.topics` (a language corpus)."""
    from pydoc_data.topics import topics

    passages = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key]):
            words = para.split()
            if len(words) >= min_words and not para.startswith("   "):  # prose, not code blocks
                passages.append(" ".join(words[:max_words]))
    passages = passages[:max_passages]
    return passages, _hash(passages, [])


def _hash(texts: list[str], labels: list[int]) -> str:
    h = hashlib.sha256()
    for t, *l in zip(texts, labels or [None] * len(texts)):
        h.update(t.encode("utf-8") + b"\x00" + str(l).encode() + b"\x01")
    return h.hexdigest()[:16]
