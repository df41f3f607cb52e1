"""Run: pick a reproduction and preset, watch its log and metric curve live, cancel it, and read
the result table beside the paper's claim. The run itself is a subprocess owned by the runner."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from tui.messages import Failed, Loaded
from tui.screens.base import KbScreen, describe
from tui.widgets.curve import MetricCurve


class RunScreen(KbScreen):
    BINDINGS = [
        Binding("c", "cancel", "Cancel run", id="run.cancel"),
        Binding("escape", "app.pop_screen", "Back", id="run.back"),
        Binding("x", "remove_run", "Remove run", show=False, id="run.remove"),
    ]

    def __init__(self, paper_id: int | None = None, name: str | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.repro_name = name
        self.handle: Any = None
        self.choices: list[tuple[dict, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="claim")
        yield OptionList(id="choices")
        with Horizontal(id="run-live"):
            with Vertical(id="run-left"):
                yield RichLog(id="log", wrap=True, markup=False, max_lines=2000)
                yield DataTable(id="result", show_cursor=False)
            yield MetricCurve(id="curve")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-live").display = False
        self.query_one("#result", DataTable).add_columns("check", "paper says", "measured", "held")
        self.load_specs()

    @work(thread=True, group="run-specs")
    def load_specs(self) -> None:
        try:
            from reproductions import registry

            with self.store() as store:
                specs = registry.for_paper(store, self.paper_id) if self.paper_id else (
                    [registry.get(self.repro_name)] if self.repro_name else registry.all_reproductions())
            self.post_message(Loaded("specs", [s.to_dict() for s in specs]))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        handler = getattr(self, f"_on_{message.what.replace('-', '_')}")
        handler(message.data)

    def _on_error(self, exc: BaseException) -> None:
        self.query_one("#claim", Static).update(describe(exc))

    def _on_specs(self, specs: list[dict]) -> None:
        claim = self.query_one("#claim", Static)
        if not specs:
            claim.update("No reproduction exists for this paper. `kb repro list` shows the ones there are.")
            return
        claim.update("Choose a reproduction and preset (enter). The smallest preset runs in seconds on a CPU.")
        options = self.query_one("#choices", OptionList)
        for spec in specs:
            for preset in sorted(spec["presets"], key=lambda p: p["seconds"]):
                self.choices.append((spec, preset["name"]))
                gpu = " · GPU" if preset.get("gpu") else ""
                options.add_option(Option(f"{spec['name']} · {preset['name']} (~{preset['seconds']:.0f} s{gpu}) · {spec['title']}"))
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if self.handle is not None:
            return
        spec, preset = self.choices[event.option_index]
        self.query_one("#choices").display = False
        self.query_one("#run-live").display = True
        self.query_one("#claim", Static).update(Text.assemble(("claim: ", "bold"), spec["claim"]))
        self.sub_title = f"{spec['name']} · {preset}"
        self.query_one("#log", RichLog).write(f"starting {spec['name']} ({preset})…")
        self.start(spec["name"], preset)

    @work(thread=True, exclusive=True, group="run")
    def start(self, name: str, preset: str) -> None:
        try:
            from reproductions import runner

            self.handle = runner.start(self.home, name, preset)
            for event in self.handle.events():
                self.post_message(Loaded("event", event))
            self.post_message(Loaded("finished", self.handle.wait()))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Run", exc))
            self.post_message(Loaded("log_line", describe(exc)))

    def _on_log_line(self, line: str) -> None:
        self.query_one("#log", RichLog).write(line)

    def _on_event(self, event: dict) -> None:
        log = self.query_one("#log", RichLog)
        kind = event.get("event")
        if kind == "progress":
            metrics = event.get("metrics") or {}
            shown = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
            log.write(f"[{event.get('phase') or 'step'} {event.get('step')}/{event.get('total')}] {shown} {event.get('message') or ''}".rstrip())
            if metrics:
                self.query_one(MetricCurve).add_point(event.get("step") or 0, metrics)
        elif kind == "log":
            log.write(event.get("message", ""))
        elif kind == "start":
            log.write(f"device {event.get('device_name') or event.get('device')} · seed {event.get('seed')}")
        elif kind == "error":
            log.write(f"error: {event.get('message')}" + (f" ({event['hint']})" if event.get("hint") else ""))
        elif kind == "result":
            self._result(event)

    def _result(self, record: dict) -> None:
        """The run's claims beside the paper's numbers; bare metrics when the run gave no claims."""
        table = self.query_one("#result", DataTable)
        table.clear()
        passed = record.get("passed")
        verdict = "✔ claim held" if passed else ("✘ claim not held" if passed is not None else record.get("status", "no verdict"))
        table.add_row(Text("verdict", style="bold"), record.get("claim") or "", "", Text(verdict, style="bold"))
        claims = (record.get("details") or {}).get("claims") or []
        for c in claims:
            held = {True: "✔ yes", False: "✘ no"}.get(c.get("held"), "—")
            table.add_row(c.get("check", ""), c.get("paper", ""), c.get("measured", ""), held)
        if not claims:
            for key, value in (record.get("metrics") or {}).items():
                if isinstance(value, (int, float, str)):
                    table.add_row(key, "", f"{value:.4g}" if isinstance(value, float) else str(value), "")
        if record.get("error"):
            self.query_one("#log", RichLog).write(f"error: {record['error']}")

    def _on_finished(self, record: Any) -> None:
        status = record.get("status", "finished")
        self.query_one("#log", RichLog).write(f"run #{record.get('run_id', '')} {status} in {record.get('seconds') or '?'} s")
        self.notify(f"Run {status}", severity="information" if status == "passed" else "warning")
        self.handle = None
        self.finished_run = record.get("run_id")

    def action_remove_run(self) -> None:
        """As `kb repro runs --remove RUN`: the run just finished here, after asking."""
        run_id = getattr(self, "finished_run", None)
        if self.handle is not None or not run_id:
            self.notify("No finished run on this screen to remove.", severity="warning")
            return
        from tui.widgets.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_run(run_id)

        self.app.push_screen(Confirm(f"Remove run {run_id} (its record and log files)?"), answered)

    @work(thread=True, group="run-remove")
    def remove_run(self, run_id: int) -> None:
        try:
            from kb.removal import remove_run

            with self.store() as store:
                remove_run(store, str(run_id))
            self.finished_run = None
            self.post_message(Loaded("log_line", f"run #{run_id} removed"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Run", exc))

    def action_cancel(self) -> None:
        if self.handle is None:
            self.notify("Nothing is running.")
            return
        self.handle.cancel()
        self.query_one("#log", RichLog).write("cancelling…")

    def on_unmount(self) -> None:
        # Leaving the screen does not orphan a subprocess.
        if self.handle is not None:
            try:
                self.handle.cancel()
            except Exception:  # noqa: BLE001 - it may have finished already
                pass
