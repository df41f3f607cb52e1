"""The TUI's door into the domain packages.

The other areas land at different times, and some of their modules pull in heavy libraries, so
screens never import them at module level: a worker asks `domain.load("kb.graph")` and gets the
module, or `Unavailable` when that capability is not installed yet. Only a missing module of the
feature itself counts as unavailable; a broken import inside it is a real bug and propagates.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator


class Unavailable(Exception):
    """A capability whose module has not landed (or cannot be imported) in this install."""

    def __init__(self, feature: str):
        super().__init__(f"{feature} is not available yet")
        self.feature = feature


def load(module: str, feature: str | None = None) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module == missing or module.startswith(missing + "."):
            raise Unavailable(feature or module) from exc
        raise


def has(module: str) -> bool:
    try:
        load(module)
    except Unavailable:
        return False
    return True


@contextmanager
def store(home: Path) -> Iterator["kb.store.Store"]:  # noqa: F821
    """One connection per worker thread, closed when the worker is done with it."""
    from kb.store import Store

    s = Store.open(home)
    try:
        yield s
    finally:
        s.close()


def config(home: Path) -> dict:
    from kb import config as config_mod, paths

    return config_mod.load(paths.config_path(home))
