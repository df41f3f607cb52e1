"""`kb index`: throughput against the raw model encode of the same chunks, and a no-change run.

Sizes: the defaults are small for development; KB_BENCH_FULL=1 gives the sizes of record
(all ten real PDFs; 1,000 papers for the no-change run). KB_SHARED points at the test data.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Report

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KB_SHARED", REPO.parent / "shared"))
FULL = os.environ.get("KB_BENCH_FULL") == "1"

REAL_PAPERS = [
    ("1503.02531", "Distilling the Knowledge in a Neural Network"),
    ("1910.01108", "DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter"),
    ("1706.03762", "Attention Is All You Need"),
    ("1902.00751", "Parameter-Efficient Transfer Learning for NLP"),
    ("1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"),
    ("2106.09685", "LoRA: Low-Rank Adaptation of Large Language Models"),
    ("2305.14314", "QLoRA: Efficient Finetuning of Quantized LLMs"),
    ("2208.07339", "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale"),
    ("2205.14135", "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"),
    ("2001.08361", "Scaling Laws for Neural Language Models"),
]


def default_config() -> dict:
    from kb import config

    return copy.deepcopy(config.DEFAULTS)


def add_real_papers(store, count: int) -> dict[str, int]:
    from kb import papers

    ids = {}
    for arxiv, title in REAL_PAPERS[:count]:
        paper, _ = papers.upsert(store, title=title, arxiv_id=arxiv)
        papers.add_attachment(store, paper.id, str(SHARED / "papers" / f"{arxiv}.pdf"))
        ids[arxiv] = paper.id
    return ids


def run(report: Report) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from kb.index.embedder import get_embedder
    from kb.index.pipeline import run_index
    from kb.store import Store

    embedder = get_embedder()
    embedder.encode_with_model(["warm the model up"])
    count = 10 if FULL else 3

    # -- throughput: the whole pipeline against encoding the very chunks it produced ---------------
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "kb"
        store = Store.open(home)
        add_real_papers(store, count)
        config = default_config()
        fast = get_embedder(home=home)
        fast.prepare()  # the ONNX export: made once per user and model, at a first `kb index`
        t0 = time.perf_counter()
        result = run_index(store, home, config)
        index_s = time.perf_counter() - t0
        texts = [r[0] for r in store.all("SELECT text FROM chunks ORDER BY id")]
        # The floor: sentence-transformers' own encode, with its own defaults (batch 32).
        encode_s = _best_of(lambda: embedder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False))
        onnx_s = _best_of(lambda: fast.encode(texts))
        cosines = (embedder.encode_with_model(texts) * fast.encode(texts)).sum(axis=1)
        report.add(f"kb index, {count} real PDFs ({len(texts)} chunks)", [index_s], note=f"{len(texts) / index_s:.1f} chunks/s")
        report.add("sentence-transformers encode of the same chunks", [encode_s], note=f"{len(texts) / encode_s:.1f} chunks/s (floor)")
        report.add("ONNX encode of the same chunks (what kb uses)", [onnx_s], note=f"{len(texts) / onnx_s:.1f} chunks/s")
        report.value("  min cosine ONNX vs sentence-transformers", f"{float(cosines.min()):.7f}", "(goal ≥ 0.9999)")
        report.ratio("index throughput / sentence-transformers encode", encode_s / index_s, "≥ 1.0")
        report.ratio("ONNX encode / sentence-transformers encode (speed)", encode_s / onnx_s, "")
        assert result.indexed == count, result.to_dict()
        store.close()
    _peak_memory(report, count)

    # -- a no-change run over many papers: stat only, no hashing, no Chroma -----------------------
    papers_n = 1000 if FULL else 200
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "kb"
        store = Store.open(home)
        _synthetic_indexed_library(store, Path(tmp) / "files", papers_n)
        config = default_config()
        report.time(f"run_index, no change, {papers_n} papers", lambda: run_index(store, home, config), repeats=5)
        store.close()
        env = dict(os.environ, KB_HOME=str(home))
        samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "kb", "index", "--json"], env=env, cwd=REPO, capture_output=True, text=True, check=False)
            samples.append(time.perf_counter() - t0)
            assert proc.returncode == 0 and f'"skipped_unchanged": {papers_n}' in proc.stdout, proc.stderr[-500:]
        report.add(f"`kb index` (process), no change, {papers_n} papers", samples, note="goal ≤ 3 s at 1,000")


def _synthetic_indexed_library(store, folder: Path, n: int) -> None:
    """n papers whose PDFs were indexed before: files on disk and matching index_state rows."""
    from kb.index.vectors import vectors_marker
    folder.mkdir(parents=True)
    (store.home / "index" / "chroma").mkdir(parents=True)  # as after a real run: the vectors exist
    vectors_marker(store.home).touch()
    with store.tx():
        for i in range(n):
            path = folder / f"p{i}.pdf"
            path.write_bytes(b"%PDF-1.4 synthetic " + str(i).encode())
            st = path.stat()
            pid = store.execute("INSERT INTO papers (citekey, title, title_norm) VALUES (?, ?, ?)",
                                (f"p{i}", f"Synthetic paper {i}", f"synthetic paper {i}")).lastrowid
            aid = store.execute("INSERT INTO attachments (paper_id, path) VALUES (?, ?)", (pid, str(path))).lastrowid
            store.execute(
                "INSERT INTO index_state (attachment_id, paper_id, path, size, mtime_ns, content_hash, model, status, chunk_count) "
                "VALUES (?, ?, ?, ?, ?, 'x', 'all-MiniLM-L6-v2', 'indexed', 50)",
                (aid, pid, str(path), st.st_size, st.st_mtime_ns),
            )


def _best_of(fn, repeats: int = 2) -> float:
    """The faster of a few runs: on a shared machine the slower one measured the neighbours."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return min(samples)


_PEAK = r"""
import json, resource, sys
from kb.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of the big bench process would report the bench's own peak.
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
peak = hwm[0] / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"code": code, "peak_mb": peak, "heavy": heavy}), file=sys.stderr)
"""


def _peak_memory(report: Report, count: int) -> None:
    """Peak RSS of `kb index` as a process: the first run (loads torch once to export the model)
    and a rebuild (the export exists: no torch)."""
    import json

    from kb.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "kb"
        store = Store.open(home)
        add_real_papers(store, count)
        store.close()
        # A user cache of its own: the first run really exports (the developer's cache may hold it).
        env = dict(os.environ, KB_HOME=str(home), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", KB_CACHE=str(Path(tmp) / "cache"))
        for label, args in (("first `kb index` (exports the model)", []), ("`kb index --rebuild` (export present)", ["--rebuild"])):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", _PEAK, "index", "--json", *args], env=env, cwd=REPO,
                                  capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - t0
            status = json.loads(proc.stderr.strip().splitlines()[-1])
            assert status["code"] == 0, proc.stderr[-800:]
            chunks = json.loads(proc.stdout)["chunks"]
            report.add(f"peak RSS, {label}, {count} PDFs", [status["peak_mb"]], unit="MB",
                       note=f"goal ≤ 1024 MB; {seconds:.0f} s, {chunks / seconds:.1f} chunks/s; torch loaded: {'yes' if status['heavy'] else 'no'}")
            report.ratio(f"peak RSS {label.split('`')[1]} / 1 GB", status["peak_mb"] / 1024, "≤ 1")
