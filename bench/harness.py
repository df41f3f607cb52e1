"""The bench harness: time a callable over repeats and report min / median / max."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Measurement:
    name: str
    samples: list[float]  # seconds, or another unit named in `unit`
    unit: str = "s"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class Report:
    rows: list[Measurement] = field(default_factory=list)
    ratios: list[tuple[str, float, str]] = field(default_factory=list)  # (name, value, goal)
    values: list[tuple[str, float | str, str]] = field(default_factory=list)  # (name, value, unit)

    def time(self, name: str, fn: Callable[[], object], repeats: int = 5, warmup: int = 1, note: str = "") -> Measurement:
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        m = Measurement(name, samples, note=note)
        self.rows.append(m)
        return m

    def add(self, name: str, samples: list[float], unit: str = "s", note: str = "") -> Measurement:
        m = Measurement(name, samples, unit, note)
        self.rows.append(m)
        return m

    def ratio(self, name: str, value: float, goal: str = "") -> None:
        self.ratios.append((name, value, goal))

    def value(self, name: str, value: float | str, unit: str = "") -> None:
        self.values.append((name, value, unit))

    def print(self, title: str) -> None:
        print(f"\n## {title}")
        if self.rows:
            print(f"{'measurement':48} {'min':>10} {'median':>10} {'max':>10}  n  note")
            for m in self.rows:
                scale, unit = (1000.0, "ms") if m.unit == "s" else (1.0, m.unit)
                print(f"{m.name:48} {min(m.samples) * scale:>8.1f}{unit:>2} {m.median * scale:>8.1f}{unit:>2} "
                      f"{max(m.samples) * scale:>8.1f}{unit:>2} {len(m.samples):>2}  {m.note}")
        for name, value, unit in self.values:
            print(f"{name:48} {value if isinstance(value, str) else f'{value:.4g}'} {unit}")
        for name, value, goal in self.ratios:
            print(f"{name:48} {value:8.2f}x  {('goal ' + goal) if goal else ''}")
