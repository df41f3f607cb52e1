"""The embedding model as an ONNX graph, so encoding needs neither torch nor sentence-transformers.

Importing sentence-transformers costs seconds (14 s measured on 2 busy cores); `tokenizers` and
`onnxruntime` (which chromadb already needs) cost a fraction of one. The graph is exported
once per user and model, at the first `kb index` of any data home, and kept in the user's
cache (`paths.cache_home()/onnx/`), where every other data home finds it: the demo library that
`make run` builds leaves it for the user's own. Its file name carries a fingerprint of the
model's files, so a changed or different model gets a new export and never a stale one. After
export its vectors are compared with sentence-transformers' on probe texts; below cosine
MIN_COSINE it is deleted and torch keeps doing the work.

The export runs in a child process. For the bundled model, whose sentence-transformers vectors
for the probes are on record (kb.index.reference_vectors), kb.index.bert_graph writes the graph
from the weights: 1.6 s and 445 MB, neither torch nor transformers imported (a written graph
that disagrees with the record is replaced by torch's export). Any other model
goes through torch: the child loads its Transformer with transformers alone (not
sentence-transformers: 4.5 s of imports on 2 cores), computes the reference vectors as
sentence-transformers does (the model's tokenizer, truncated at max_seq_length, masked mean
pooling, unit length) and exports with torch.onnx (9–14 s and 850 MB on 2 cores). The tests hold
both kinds of graph to sentence-transformers' own encode.

The graph keeps the model's plain ("eager") attention; onnxruntime fuses LayerNorm, Gelu and
MatMul pairs when it loads it. Its transformer optimizer's Attention kernels were tried and
dropped: with a chunk per run they were 4 % slower on 2 cores (10.2 against 9.8 s for 400
chunks) and the fusing step cost the first run 4 s. Spread over the cores by batch
(`OnnxEncoder(workers=…)`), the graph encodes faster than sentence-transformers itself on a
CPU, with the same vectors.

Only models that sentence-transformers assembles as Transformer → mean Pooling (→ Normalize)
are exported (all-MiniLM-L6-v2 and most sentence-transformers models); for others the file
never exists and the caller uses torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb import paths

# Bumped when the exported graph changes (its inputs, outputs, pooling or kernels): the file
# name carries it, so an older export is replaced at the next `kb index`.
EXPORT_VERSION = 3
MIN_COSINE = 0.9999
_PROBES = [
    "low-rank adaptation",
    "知识蒸馏 knowledge distillation with a temperature",
    "FlashAttention tiles the attention matrix so that blocks fit in on-chip SRAM and never "
    "materialises the full N x N matrix in high-bandwidth memory; " * 12,  # past 256 word pieces
]
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_dir(name: str) -> Path | None:
    """The local folder of a sentence-transformers model, or None (a hub name, not a folder)."""
    from kb.index.embedder import model_location

    folder = Path(model_location(name))
    return folder if (folder / "modules.json").is_file() else None


def exportable(folder: Path) -> bool:
    """Transformer, then mean pooling, then (optionally) Normalize, and a fast tokenizer."""
    try:
        modules = _modules(folder)
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    return (
        modules[:2] == ["Transformer", "Pooling"]
        and all(m == "Normalize" for m in modules[2:])
        and modes == {"pooling_mode_mean_tokens"}
        and not _sentence_bert_config(folder).get("do_lower_case")  # it would lower-case the text before the tokenizer
        and (folder / "tokenizer.json").is_file()
    )


def _modules(folder: Path) -> list[str]:
    """The sentence-transformers modules in order, by class name ("Transformer", "Pooling", ...)."""
    return [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]


# A model file larger than this (the weights) is fingerprinted by its size and SAMPLES blocks
# spread through it: any retraining changes them all, and reading 64 KB of 90 MB keeps the
# fingerprint (computed by every cold `kb search`) at a few milliseconds.
WHOLE_LIMIT = 1 << 20
SAMPLES, BLOCK = 16, 4096


def fingerprint(folder: Path) -> str:
    """The export's: changes with the model (model_fingerprint) or the export format."""
    return hashlib.sha256(f"v{EXPORT_VERSION}:{model_fingerprint(folder)}".encode()).hexdigest()[:16]


def model_fingerprint(folder: Path) -> str:
    """Changes when the model's files do (their names and contents). It depends on nothing else
    (not mtimes), so the same model installed twice (a reinstall, a second clone, an upgrade of
    paper-kb) shares one export in the user's cache and is known to reference_vectors.json."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    stats = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    known = _fingerprints.get(stats)
    if known is None:
        known = _fingerprints[stats] = _content_fingerprint(folder, files)
    return known


_fingerprints: dict[tuple, str] = {}  # by the files' names, sizes and mtimes: read once per process


def _content_fingerprint(folder: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        size = path.stat().st_size
        h.update(f"{path.relative_to(folder).as_posix()}\0{size}\n".encode())
        with path.open("rb") as f:
            if size <= WHOLE_LIMIT:
                h.update(f.read())
                continue
            for i in range(SAMPLES):
                f.seek(i * (size - BLOCK) // (SAMPLES - 1))
                h.update(f.read(BLOCK))
    return h.hexdigest()[:16]


def graph_path(home: Path, name: str) -> Path | None:
    """Where this model's current export lives (whether or not it exists yet): the user's cache,
    shared by their data homes. The exports an older version kept in `home` are dropped."""
    folder = model_dir(name)
    if folder is None or not exportable(folder):
        return None
    legacy = paths.index_dir(home) / "onnx"
    if legacy.is_dir():
        # Where exports were kept before the cache (named by mtimes, so never this one): 90 MB each.
        import shutil

        shutil.rmtree(legacy, ignore_errors=True)
    return paths.cache_home() / "onnx" / f"{_slug(name)}-{fingerprint(folder)}.onnx"


def max_seq_length(folder: Path) -> int:
    try:
        return int(_sentence_bert_config(folder)["max_seq_length"])
    except (KeyError, TypeError, ValueError):
        return 256


def _sentence_bert_config(folder: Path) -> dict:
    """sentence-transformers' settings for its Transformer module; {} when there are none."""
    try:
        config = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


_export_lock = threading.Lock()


def export(st_model: Any, name: str, home: Path) -> Path | None:
    """Export the SentenceTransformer to ONNX (needs torch and onnx); None when it cannot be, or
    when its vectors do not match the model's. Never raises: torch still works. `st_model` may
    be a function returning the model: it is called only when an export must really be made."""

    def source() -> _Source:
        model = st_model() if callable(st_model) and not hasattr(st_model, "encode") else st_model
        return _Source.of_sentence_transformer(model)

    return _export(source, name, home)


def _export(source: Any, name: str, home: Path) -> Path | None:
    """The verified export at graph_path(home, name), made from source() if it is not there."""
    target = graph_path(home, name)
    if target is None:
        return None
    with _export_lock:
        if target.is_file():
            return target
        if not _export_checked(source, target, model_dir(name)):
            return None
    for stale in target.parent.glob(f"{_slug(name)}-*.onnx"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


class _Source:
    """What an export needs: the Transformer, whether Normalize follows the pooling, and the
    reference vectors (unit rows) that the graph's must match."""

    def __init__(self, transformer: Any, normalize: bool, reference: Any):
        self.transformer = transformer
        self.normalize = normalize
        self.reference = reference

    @classmethod
    def of_sentence_transformer(cls, model: Any) -> _Source:
        def reference(texts: list[str]) -> Any:
            return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

        return cls(model[0].auto_model, len(model) > 2, reference)  # Normalize follows Pooling

    @classmethod
    def of_folder(cls, folder: Path) -> _Source:
        """From the model's folder with transformers alone: sentence-transformers' Transformer
        → mean Pooling (→ Normalize), which exportable() made sure is what the folder holds."""
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        transformer = AutoModel.from_pretrained(str(folder)).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        limit = max_seq_length(folder)

        def reference(texts: list[str]) -> Any:
            batch = tokenizer(texts, padding=True, truncation="longest_first", max_length=limit, return_tensors="pt")
            with torch.no_grad():
                hidden = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()

        return cls(transformer, _modules(folder)[2:] == ["Normalize"], reference)


def _export_checked(source: Any, target: Path, folder: Path) -> bool:
    """Whether a new, verified export is now at `target`: written from the weights by bert_graph
    when sentence-transformers' vectors for the probes are on record for this very model (the
    bundled one), else exported through torch and checked against vectors computed there."""
    from kb.index import bert_graph, reference_vectors

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")

    def agrees(expected: Any) -> bool:
        got = OnnxEncoder(tmp, folder, threads=1).encode(_PROBES)
        return float((expected * got).sum(axis=1).min()) >= MIN_COSINE

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recorded = reference_vectors.recorded(folder, _PROBES)
        written = False
        if recorded is not None and bert_graph.supports(folder):
            bert_graph.build(folder, tmp, normalize=_modules(folder)[2:] == ["Normalize"])
            written = agrees(recorded)
        if not written:  # no record, or a graph that disagrees with it: torch's export instead
            made = source()
            _torch_export(made.transformer, made.normalize, tmp)
            if not agrees(made.reference(list(_PROBES))):
                tmp.unlink(missing_ok=True)
                return False
        os.replace(tmp, target)
        return True
    except Exception:  # noqa: BLE001 - no onnx package, an unusual architecture, a full disk: torch still works
        tmp.unlink(missing_ok=True)
        return False


def export_in_child(name: str, home: Path, timeout_s: float = 1800) -> Path | None:
    """Export in a child process, so that this one never imports torch: `kb index` keeps its
    memory (and the child's) under a gigabyte each instead of holding both. A failure is
    remembered beside the export (same fingerprint), so it is not retried on every run."""
    import subprocess
    import sys

    target = graph_path(home, name)
    if target is None:
        return None
    if target.is_file():
        return target
    failed = target.with_suffix(".failed")
    if failed.exists():
        return None
    try:
        proc = subprocess.run([sys.executable, "-m", "kb.index.onnx_model", str(home), name], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode == 0 and target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text((proc.stderr or "")[-2000:] or f"exit {proc.returncode}\n", encoding="utf-8")
    except OSError:
        pass
    return None


def _torch_export(transformer: Any, normalize: bool, dest: Path) -> None:
    import torch

    class Pooled(torch.nn.Module):
        """Token embeddings → masked mean (→ unit length): what sentence-transformers computes."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1) if normalize else mean

    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {n: {0: "batch", 1: "tokens"} for n in _INPUTS}
    axes["embedding"] = {0: "batch"}
    was_training = transformer.training
    attention = getattr(transformer.config, "_attn_implementation", None)
    transformer.eval()
    try:
        _set_attention(transformer, "eager")  # loose ops onnxruntime partly fuses at load (see the module's docstring)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Pooled(), (sample, sample, torch.zeros_like(sample)), str(dest), input_names=list(_INPUTS),
                              output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
    finally:
        if attention is not None:
            _set_attention(transformer, attention)
        transformer.train(was_training)


def _set_attention(transformer: Any, implementation: str) -> None:
    setter = getattr(transformer, "set_attn_implementation", None)
    if setter is not None:
        setter(implementation)
    else:  # older transformers: the config attribute is what the layers read
        transformer.config._attn_implementation = implementation


TOKENS_PER_BATCH = 256  # word pieces per run, padding included (see OnnxEncoder)


class OnnxEncoder:
    """Tokenize with `tokenizers`, run the graph with onnxruntime; rows L2-normalised float32.

    `workers` > 1 runs that many batches at once, each on one core, in one session (its Run is
    thread-safe and lets go of the GIL). For a model this small, splitting one batch's matrices
    over the cores (`threads`) leaves them waiting on each other between every operator;
    whole batches side by side keep them busy: measured 1.3-1.5x the throughput on 2 cores.

    Batches are small: about TOKENS_PER_BATCH word pieces, so a 200-piece chunk runs alone and
    short texts go two or three together. Measured on 980 chunks of the real PDFs (2 cores,
    2 workers): one chunk per run 25.8 s, four 29.8 s, twelve 33 s, twenty-four 34-38 s; a
    small run's activations stay in the core's cache, and a batch of one has no padding.
    """

    def __init__(self, graph: Path, folder: Path, *, threads: int | None = None, workers: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        self.workers = max(1, int(workers))
        if self.workers > 1:
            threads = 1
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Idle worker threads sleep rather than spin: on a shared or busy machine spinning
        # threads take the cores the other worker needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json pads and truncates to 128; sentence-transformers reads up to max_seq_length.
        tokenizer.enable_truncation(max_length=max_seq_length(folder))
        tokenizer.no_padding()  # each batch is padded to its own longest text below
        self.tokenizer = tokenizer
        self._lock = threading.Lock()
        self._pool: Any = None  # the workers' threads, made at the first call that needs them

    def encode(self, texts: Sequence[str], *, tokens_per_batch: int | None = None) -> Any:
        """float32 rows of unit length, in the order of `texts`."""
        return self.submit(texts, tokens_per_batch=tokens_per_batch).result()

    def submit(self, texts: Sequence[str], *, tokens_per_batch: int | None = None) -> Any:
        """Start encoding `texts`; the returned object's result() is what encode returns.

        The batches queue on this encoder's own workers, which live as long as it does: texts
        submitted next (the next PDF's chunks) start the moment a core is free, instead of
        waiting until the last batch of these is done while the other cores idle.
        """
        budget = tokens_per_batch or TOKENS_PER_BATCH
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        batches: list[list[int]] = []
        for i in order:  # longest last: the last added decides the padded length
            if batches and (len(batches[-1]) + 1) * len(encodings[i].ids) <= budget:
                batches[-1].append(i)
            else:
                batches.append([i])
        run = self._workers().submit if self.workers > 1 and len(batches) > 1 else run_now
        return _Encoding(len(encodings), [(picked, run(self._run, [encodings[i] for i in picked])) for picked in batches])

    def _workers(self) -> Any:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kb-onnx")
        return self._pool

    def _run(self, encodings: list[Any]) -> Any:
        import numpy as np

        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)  # padding is masked out: its id does not matter
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        vectors = self.session.run(None, feeds)[0].astype(np.float32, copy=False)
        # Unit length even for a model without Normalize: the index compares by cosine.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class _Encoding:
    """Batches under way; result() puts their rows back in the order the texts were given."""

    def __init__(self, count: int, batches: list[tuple[list[int], Any]]):
        self._count = count
        self._batches = batches

    def cancel(self) -> None:
        """Drop the batches that have not started."""
        for _, future in self._batches:
            future.cancel()

    def result(self) -> Any:
        import numpy as np

        out: Any = None
        for picked, future in self._batches:
            vectors = future.result()
            if out is None:
                out = np.empty((self._count, vectors.shape[1]), dtype=np.float32)
            out[picked] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def run_now(fn: Any, *args: Any) -> Any:
    """fn(*args) run here and now, as a finished Future (what a pool's submit would give)."""
    from concurrent.futures import Future

    future: Future = Future()
    future.set_result(fn(*args))
    return future


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", name).strip("-._")[:60] or "model"


if __name__ == "__main__":
    # `python -m kb.index.onnx_model HOME MODEL`: the child of export_in_child.
    import sys

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    home, name = Path(sys.argv[1]), sys.argv[2]
    folder = model_dir(name)
    made = _export(lambda: _Source.of_folder(folder), name, home) if folder is not None else None
    sys.exit(0 if made is not None else 1)
