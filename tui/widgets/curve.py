"""The live loss/metric curve of a run (textual-plotext), one series per metric."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class MetricCurve(PlotextPlot):
    def on_mount(self) -> None:
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self.plt.title("metrics")

    def add_point(self, step: float, metrics: dict) -> None:
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                xs, ys = self.series.setdefault(name, ([], []))
                xs.append(step)
                ys.append(float(value))
        self.replot()

    def replot(self) -> None:
        self.plt.clear_data()
        # The loss first: it is what a reader watches; a few other metrics at most keep it legible.
        names = sorted(self.series, key=lambda n: (0 if "loss" in n else 1, n))[:3]
        for name in names:
            xs, ys = self.series[name]
            self.plt.plot(xs, ys, label=name, marker="braille")
        self.refresh()
