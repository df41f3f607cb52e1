"""Run benchmarks: `python -m bench` runs all but `peer`; `python -m bench startup search` runs some.

Each bench/bench_<name>.py has `run(report)`; numbers and ratios are printed, not asserted.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.harness import Report

# Run only when named: `peer` installs a second virtualenv (about 2 GB) on its first run.
ON_REQUEST = {"peer"}


def main(argv: list[str]) -> int:
    import bench

    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    chosen = argv or [n for n in names if n not in ON_REQUEST]
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    for name in chosen:
        module = importlib.import_module(f"bench.bench_{name}")
        report = Report()
        t0 = time.perf_counter()
        module.run(report)
        report.print(f"{name}  ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
