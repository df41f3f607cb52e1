"""Opening Chroma from several threads at once (the TUI's search workers did) gives them all one
client and one working collection, instead of `Could not connect to tenant default_tenant` or
`'RustBindingsAPI' object has no attribute 'bindings'`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A fresh process: the race is in the first import of chromadb and the first client, which an
# earlier test in this session would already have done.
SCRIPT = r"""
import json, sys, threading
from pathlib import Path
from kb import config as config_mod
from kb.index.vectors import open_vectors

home = Path(sys.argv[1])
config = config_mod.load(home / "config.toml")
barrier = threading.Barrier(8)
results, errors = [], []

def worker():
    barrier.wait()
    try:
        store = open_vectors(home, config)
        store.count()
        results.append((id(store.client), id(store.collection)))
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"clients": len({c for c, _ in results}), "opened": len(results), "errors": errors}))
"""


def test_eight_threads_opening_chroma_at_once_share_one_client(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    for attempt in range(2):  # a fresh home each time: the first client is the racy one
        home = tmp_path / f"home{attempt}"
        home.mkdir()
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(home)], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
        assert outcome == {"clients": 1, "opened": 8, "errors": []}, outcome
