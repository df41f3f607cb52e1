"""Fixtures for the index tests: one warm model per session, default settings per test."""

from __future__ import annotations

import copy

import pytest

from kb import config as config_mod


@pytest.fixture(scope="session")
def warm_embedder():
    """The process-wide embedder with its model loaded once for the whole session."""
    from kb.index.embedder import get_embedder

    embedder = get_embedder()
    embedder.encode(["warm up"])
    return embedder


@pytest.fixture
def kb_config() -> dict:
    return copy.deepcopy(config_mod.DEFAULTS)


