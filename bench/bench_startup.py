"""CLI start-up: `kb --help` and `kb plan show --json` on a 1,000-paper library, against
`python -c pass`, each as a fresh subprocess (what a user waits for)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAPERS = 1000
REPEATS = 7

_WORDS = (
    "sparse dense adaptive efficient robust scalable hierarchical contrastive generative latent neural graph "
    "attention transformer retrieval distillation quantization pruning adapter prompt tuning alignment reasoning "
    "memory routing mixture expert kernel spectral causal temporal multilingual multimodal federated continual "
    "curriculum bayesian variational diffusion autoregressive token vocabulary corpus benchmark evaluation "
    "calibration uncertainty interpretability compression acceleration inference training optimizer schedule "
    "gradient curvature hessian lowrank factorized hashing caching speculative decoding batching serving edge "
    "mobile device agriculture medicine law finance code math science chemistry biology protein vision speech"
).split()


def _plan_text(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = ["# Synthetic plan of 1,000 papers", ""]
    seen = set()
    for week in range(1, n // 10 + 1):
        lines += [f"## Week {week}", "", "- **Papers**:"]
        for _ in range(10):
            while True:
                words = rng.sample(_WORDS, 7)
                title = " ".join(w.capitalize() for w in words)
                key = frozenset(words[:4])
                if key not in seen:
                    seen.add(key)
                    break
            lines.append(f'  - "{title}"')
        lines.append("")
    return "\n".join(lines)


def _kb_command() -> list[str]:
    script = Path(sys.executable).with_name("kb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kb"]


def _time(cmd: list[str], env: dict, repeats: int) -> list[float]:
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # warm the file cache
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        samples.append(time.perf_counter() - t0)
    return samples


def run(report) -> None:
    home = Path(tempfile.mkdtemp(prefix="kb-bench-startup-"))
    try:
        env = dict(os.environ, KB_HOME=str(home), HF_HUB_OFFLINE="1")
        plan = home / "plan1000.md"
        plan.write_text(_plan_text(PAPERS), encoding="utf-8")
        kb = _kb_command()
        t0 = time.perf_counter()
        subprocess.run(kb + ["plan", "import", str(plan), "--name", "big"], env=env, capture_output=True, check=True)
        import_s = time.perf_counter() - t0
        from kb.store import Store

        with Store.open(home) as store:
            n_papers = store.scalar("SELECT count(*) FROM papers")
        report.value("papers in the library", n_papers)
        report.value("kb plan import (1,000 papers, once)", import_s * 1000, "ms")

        base = report.add("python -c pass", _time([sys.executable, "-c", "pass"], env, REPEATS))
        helps = report.add("kb --help", _time(kb + ["--help"], env, REPEATS))
        show = report.add("kb plan show --json (1,000 papers)", _time(kb + ["plan", "show", "big", "--json"], env, REPEATS))
        report.ratio("kb --help / python -c pass", helps.median / base.median)
        report.ratio("kb plan show --json / python -c pass", show.median / base.median)
    finally:
        shutil.rmtree(home, ignore_errors=True)
