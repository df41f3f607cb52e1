"""Reproductions: run each quick preset (as `kb repro run NAME --preset quick` does) and print
each claim's measured numbers and the wall time. Numbers are printed, not asserted.

On a GPU machine: `KB_BENCH_PRESET=full KB_BENCH_DEVICE=cuda python -m bench repro` runs the
full presets there (the fused Triton FlashAttention kernel timed against standard attention and
SDPA; LLM.int8() beside bitsandbytes' Linear8bitLt). `KB_BENCH_ONLY=flashattention,llm-int8`
picks some."""

from __future__ import annotations

import os
import tempfile
import time


def run(report) -> None:
    from reproductions import registry, runner

    preset = os.environ.get("KB_BENCH_PRESET", "quick")
    device = os.environ.get("KB_BENCH_DEVICE", "auto")
    only = {n for n in os.environ.get("KB_BENCH_ONLY", "").split(",") if n}
    with tempfile.TemporaryDirectory() as home:
        for spec in registry.all_reproductions():
            if only and spec.name not in only:
                continue
            t0 = time.perf_counter()
            record = runner.start(home, spec.name, preset=preset, device=device, seed=0).wait()
            wall = time.perf_counter() - t0
            report.add(f"{spec.name} {preset} (wall)", [wall], note=f"{record.get('status')} on {record.get('device')}")
            for claim in (record.get("details") or {}).get("claims") or []:
                held = {True: "held", False: "NOT held", None: "reported"}[claim.get("held")]
                report.value(f"  {spec.name}: {claim['check'][:40]}", f"{claim['measured']} [{held}]")
            if record.get("status") not in ("passed", "failed"):
                report.value(f"  {spec.name}: error", str(record.get("error")))
