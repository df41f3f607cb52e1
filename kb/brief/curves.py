"""A run's curves as one small PNG chart (matplotlib, Agg), the metric named on the axis."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# What the x of each reproduction's curves counts (reproductions/*.py build the points).
X_AXIS = {"lora": "training step", "kd": "seed", "flashattention": "sequence length N"}


def _axis_name(names: list[str]) -> str:
    """The metric the curves share: 'loss' for loss_full/loss_lora, 'MiB' for naive_MiB/flash_MiB."""
    if len(names) == 1:
        return names[0].replace("_", " ")
    parts = [n.split("_") for n in names]
    head = os.path.commonprefix(parts)
    tail = os.path.commonprefix([p[::-1] for p in parts])[::-1]
    shared = head or tail
    return " ".join(shared) if shared else ", ".join(names)


def draw_curve(curves: dict, out: Path, title: str = "") -> Path | None:
    """Curves as recorded in a run's details: name -> [[x, y], ...] or [[x, y1, y2, ...], ...].
    None when there is nothing to plot."""
    series: list[tuple[str, list, list]] = []
    for name, points in curves.items():
        rows = [p for p in points or [] if isinstance(p, (list, tuple)) and len(p) >= 2]
        width = max((len(r) for r in rows), default=0)
        for col in range(1, width):
            xs = [r[0] for r in rows if len(r) > col and isinstance(r[col], (int, float))]
            ys = [r[col] for r in rows if len(r) > col and isinstance(r[col], (int, float))]
            if xs:
                series.append((name if width == 2 else f"{name} ({col})", xs, ys))
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.0), dpi=110)
    try:
        for label, xs, ys in series:
            ax.plot(xs, ys, marker="o" if len(xs) <= 12 else None, markersize=3, linewidth=1.4, label=label)
        ax.set_ylabel(_axis_name(list(curves)))
        ax.set_xlabel(X_AXIS.get(title, "step"))
        if title:
            ax.set_title(title, fontsize=10)
        if len(series) > 1:
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return out
