"""Reproductions: run each quick preset (as `kb repro run NAME --preset quick` does) and print
each claim's measured numbers and the wall time. Numbers are printed, not asserted."""

from __future__ import annotations

import tempfile
import time


def run(report) -> None:
    from reproductions import registry, runner

    with tempfile.TemporaryDirectory() as home:
        for spec in registry.all_reproductions():
            t0 = time.perf_counter()
            record = runner.start(home, spec.name, preset="quick", device="auto", seed=0).wait()
            wall = time.perf_counter() - t0
            report.add(f"{spec.name} quick (wall)", [wall], note=f"{record.get('status')} on {record.get('device')}")
            for claim in (record.get("details") or {}).get("claims") or []:
                held = {True: "held", False: "NOT held", None: "reported"}[claim.get("held")]
                report.value(f"  {spec.name}: {claim['check'][:40]}", f"{claim['measured']} [{held}]")
            if record.get("status") not in ("passed", "failed"):
                report.value(f"  {spec.name}: error", str(record.get("error")))
