"""A fresh `kb search` process encodes the query with the ONNX export `kb index` left in the
data home: it never imports torch, transformers or sentence-transformers (seconds each), and
finds what the in-process search finds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers")

SCRIPT = r"""
import json, sys
from kb.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
""" % (HEAVY,)


def _search(home: Path, *args: str, cache: Path | None = None) -> tuple[list, dict]:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", KB_HOME=str(home))
    if cache is not None:
        env["KB_CACHE"] = str(cache)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "search", *args, "--json", "--no-server"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    status = json.loads(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout), status


def test_hybrid_search_in_a_fresh_process_needs_no_torch(library):
    from kb.search.hybrid import search

    assert list((Path(os.environ["KB_CACHE"]) / "onnx").glob("*.onnx")), "kb index should have exported the model"
    hits, status = _search(library.home, "soft targets from a large teacher model")
    assert status == {"code": 0, "heavy": []}
    in_process = search(library.store, library.home, library.config, "soft targets from a large teacher model")
    assert [h["paper_id"] for h in hits] == [h.paper_id for h in in_process]
    assert hits[0]["paper_id"] == library.distill and "dense" in hits[0]["matched"]


def test_without_the_export_the_export_is_made_once(library, tmp_path):
    """A home indexed before the export existed (or whose export was cleared from the cache):
    the first search has a child process load the model and export it (this process still
    never imports torch), and leaves it for the next."""
    import shutil

    home, cache = tmp_path / "home", tmp_path / "cache"
    shutil.copytree(library.home, home, ignore=shutil.ignore_patterns("search.sock", "search.lock"))
    hits, status = _search(home, "scaled dot-product attention", "--mode", "dense", cache=cache)
    assert status == {"code": 0, "heavy": []}
    assert hits[0]["paper_id"] == library.transformer
    assert list((cache / "onnx").glob("*.onnx"))
    again, status = _search(home, "scaled dot-product attention", "--mode", "dense", cache=cache)
    assert status == {"code": 0, "heavy": []} and again == hits


RACE = r"""
import json, sys, threading
from pathlib import Path
from kb import config as config_mod
from kb.index.embedder import get_embedder
from kb.index.vectors import open_vectors

home = Path(sys.argv[1])
config = config_mod.load(home / "config.toml")
barrier = threading.Barrier(2)
errors = []

def run(fn):
    barrier.wait()
    try:
        fn()
    except BaseException as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:300])

threads = [threading.Thread(target=run, args=(lambda: open_vectors(home, config).count(),)),
           threading.Thread(target=run, args=(lambda: get_embedder(home=home).encode_query("attention"),))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(errors))
"""


def test_chroma_and_the_query_encoder_loaded_at_once_from_two_threads(library):
    """The TUI's search workers: one opens Chroma while another loads the query encoder. Their
    first imports at once met numpy half-initialised (`cannot import name 'NDArray'`)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    for _ in range(3):  # a race: without the lock, about every other run failed
        proc = subprocess.run([sys.executable, "-c", RACE, str(library.home)], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-1500:]
        assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
