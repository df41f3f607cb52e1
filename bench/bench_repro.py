"""Reproductions: run each quick preset (as `kb repro run NAME --preset quick` does) and print
each claim's measured numbers, what the naive variant measured on the same check, and the wall
time. Numbers are printed, not asserted.

`KB_BENCH_SEEDS=0-9` runs every seed from 0 to 9 and counts the seeds on which the claim held
(the definition of done: all of them); `KB_BENCH_ONLY=kd,lora` picks some reproductions.
On a GPU machine: `KB_BENCH_PRESET=full KB_BENCH_DEVICE=cuda python -m bench repro` runs the
full presets there (the fused Triton FlashAttention kernel timed against standard attention and
SDPA; LLM.int8() beside bitsandbytes' Linear8bitLt)."""

from __future__ import annotations

import os
import tempfile
import time


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def run(report) -> None:
    from reproductions import registry, runner

    preset = os.environ.get("KB_BENCH_PRESET", "quick")
    device = os.environ.get("KB_BENCH_DEVICE", "auto")
    only = {n for n in os.environ.get("KB_BENCH_ONLY", "").split(",") if n}
    seeds = _seeds(os.environ.get("KB_BENCH_SEEDS", "0"))
    held = {True: "held", False: "NOT held", None: "reported"}
    with tempfile.TemporaryDirectory() as home:
        for spec in registry.all_reproductions():
            if only and spec.name not in only:
                continue
            walls, passed = [], 0
            for seed in seeds:
                t0 = time.perf_counter()
                record = runner.start(home, spec.name, preset=preset, device=device, seed=seed).wait()
                walls.append(time.perf_counter() - t0)
                passed += record.get("passed") is True
                tag = f"{spec.name} seed {seed}" if len(seeds) > 1 else spec.name
                for claim in (record.get("details") or {}).get("claims") or []:
                    line = f"{claim['measured']} [{held[claim.get('held')]}]"
                    if claim.get("naive"):
                        line += f" | naive: {claim['naive']} [{held[claim.get('naive_held')]}]"
                    report.value(f"  {tag}: {claim['check'][:40]}", line)
                if record.get("status") not in ("passed", "failed"):
                    report.value(f"  {tag}: error", str(record.get("error")))
            report.add(f"{spec.name} {preset} (wall)", walls, note=f"claim held on {passed}/{len(seeds)} seeds, {record.get('device')}")
