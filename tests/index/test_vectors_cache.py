"""The Chroma collection is looked up once per process and kept while the vectors marker is
unchanged; a rebuild elsewhere (marker touched), a drop here, or a failed call looks it up again."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

from kb import config as config_mod
from kb.index import vectors
from kb.index.pipeline import vectors_marker


@pytest.fixture
def setup(tmp_path):
    home = tmp_path / "home"
    config = copy.deepcopy(config_mod.DEFAULTS)
    store = vectors.open_vectors(home, config)
    store.upsert([1, 2], np.eye(2, 384, dtype=np.float32), [{"paper_id": 1, "attachment_id": 1, "page": 1}] * 2)
    vectors_marker(home).touch()
    return home, config


def test_kept_while_the_marker_is_unchanged_and_looked_up_again_after_a_rebuild(setup):
    home, config = setup
    first = vectors.open_vectors(home, config).collection
    assert vectors.open_vectors(home, config).collection is first
    # Another process rebuilt the index: a new collection, and the marker touched.
    vectors.drop_collection(home, config)
    rebuilt = vectors.open_vectors(home, config)
    rebuilt.upsert([3], np.eye(1, 384, dtype=np.float32), [{"paper_id": 2, "attachment_id": 2, "page": 1}])
    stamp = vectors_marker(home).stat().st_mtime_ns
    os.utime(vectors_marker(home), ns=(stamp + 1_000_000, stamp + 1_000_000))
    again = vectors.open_vectors(home, config)
    assert again.collection is not first
    assert [cid for cid, _ in again.query(np.eye(1, 384, dtype=np.float32)[0], 5)] == [3]


def test_a_failed_call_forgets_the_kept_collection(setup, monkeypatch):
    home, config = setup
    kept = vectors.open_vectors(home, config)

    def broken(**_):
        raise RuntimeError("collection gone")

    monkeypatch.setattr(kept.collection, "query", broken)
    with pytest.raises(vectors.VectorStoreError):
        kept.query(np.eye(1, 384, dtype=np.float32)[0], 5)
    assert vectors.open_vectors(home, config).collection is not kept.collection
