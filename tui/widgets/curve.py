"""The live metric curves of a run (textual-plotext): one metric per axis, each with its own
scale, so a loss near 2 and an accuracy near 0.8 are both readable."""

from __future__ import annotations

from textual.containers import Vertical
from textual_plotext import PlotextPlot

MAX_CURVES = 3


def _order(name: str) -> tuple[int, str]:
    # The loss first: it is what a reader watches.
    return (0 if "loss" in name else 1, name)


class MetricPlot(PlotextPlot):
    """One metric against the step."""

    def __init__(self, metric: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metric = metric
        self.xs: list[float] = []
        self.ys: list[float] = []

    def add(self, step: float, value: float) -> None:
        self.xs.append(step)
        self.ys.append(value)
        self.replot()

    def replot(self) -> None:
        self.plt.clear_data()
        self.plt.title(self.metric)
        self.plt.plot(self.xs, self.ys, marker="braille")
        self.refresh()


class MetricCurve(Vertical):
    """A column of plots, one per metric (the first few, the loss first)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plots: dict[str, MetricPlot] = {}

    def add_point(self, step: float, metrics: dict) -> None:
        for name in sorted(metrics, key=_order):
            value = metrics[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            plot = self.plots.get(name)
            if plot is None:
                if len(self.plots) >= MAX_CURVES:
                    continue
                plot = self.plots[name] = MetricPlot(name, classes="metric-plot")
                self.mount(plot)
            plot.add(step, float(value))

    def reset(self) -> None:
        for plot in self.plots.values():
            plot.remove()
        self.plots.clear()
