"""sentence-transformers' own vectors for the export's probe texts, on record for the model
paper-kb bundles, so that a graph written from the weights (kb.index.bert_graph) is checked
against sentence-transformers at run time without importing it, or torch.

`python -m kb.index.reference_vectors` records them for the bundled model (it needs
sentence-transformers); tests/index/test_onnx.py holds the record to a live encode, so a
changed model or sentence-transformers fails there instead of going stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

RECORD = Path(__file__).with_name("reference_vectors.json")


def recorded(folder: Path, probes: Sequence[str]) -> np.ndarray | None:
    """The recorded unit vectors of `probes` for this model (by its files' contents), or None."""
    from kb.index.onnx_model import model_fingerprint

    try:
        entry = json.loads(RECORD.read_text(encoding="utf-8")).get(model_fingerprint(folder))
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict) or entry.get("probes_sha256") != _digest(probes):
        return None
    return np.asarray(entry["vectors"], dtype=np.float32)


def record(folder: Path, probes: Sequence[str]) -> dict:
    """sentence-transformers' encode of `probes` with the model in `folder`, as recorded()
    reads it back."""
    from sentence_transformers import SentenceTransformer

    from kb.index.onnx_model import model_fingerprint

    model = SentenceTransformer(str(folder), device="cpu")
    vectors = model.encode(list(probes), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return {model_fingerprint(folder): {"model": folder.parent.name if folder.name == "model" else folder.name,
                                         "probes_sha256": _digest(probes),
                                         "vectors": [[float(f"{x:.8g}") for x in row] for row in vectors.tolist()]}}


def _digest(probes: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(probes).encode("utf-8")).hexdigest()


if __name__ == "__main__":
    import re

    from kb.index.embedder import BUNDLED_MODEL
    from kb.index.onnx_model import _PROBES, model_dir

    text = json.dumps(record(model_dir(BUNDLED_MODEL), _PROBES), indent=1)
    # A vector per line, not a number per line.
    text = re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    RECORD.write_text(text + "\n", encoding="utf-8")
    print(f"recorded {RECORD}")
