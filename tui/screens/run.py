"""Run: pick a reproduction and preset (or a past run), watch its log and metric curves live,
cancel it, and read the verdict and the claim table (`kb repro run`, `kb repro show RUN`,
`kb repro runs`). The run itself is a subprocess owned by the runner."""

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
from tui.plain import join, plain
from tui.screens.base import KbScreen, describe
from tui.widgets import claims as claim_table
from tui.widgets.curve import MetricCurve
from tui.widgets.status import verdict_text
from tui.widgets.table import Table


class RunScreen(KbScreen):
    BINDINGS = [
        Binding("c", "cancel", "Cancel run", id="run.cancel"),
        Binding("escape", "app.pop_screen", "Back", id="run.back"),
        Binding("x", "remove_run", "Remove run", show=False, id="run.remove"),
    ]

    def __init__(self, paper_id: int | None = None, name: str | None = None, run_id: int | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.repro_name = name
        self.run_id = run_id
        self.handle: Any = None
        self.choices: list[tuple[dict, str]] = []
        self.record: dict | None = None  # the run shown: its claims are laid out again on resize
        self._cancel_asked = False  # `c` pressed while the worker process was still starting

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="verdict")
        yield Static("", id="claim")
        yield OptionList(id="choices")
        yield Table(id="past", cursor_type="row")
        with Horizontal(id="run-live"):
            yield RichLog(id="log", wrap=True, markup=False, max_lines=2000)
            yield MetricCurve(id="curve")
        yield Table(id="result", show_cursor=False)
        yield Footer()

    def on_mount(self) -> None:
        for wid in ("#verdict", "#run-live", "#result", "#past"):
            self.query_one(wid).display = False
        self.query_one("#past").border_title = "Past runs (enter shows one)"
        self.query_one("#past", DataTable).add_columns("run", "verdict", "when")
        if self.run_id is not None:
            self.query_one("#choices").display = False
            self.load_run(self.run_id)
        else:
            self.load_specs()

    # -- choosing ----------------------------------------------------------------------------
    @work(thread=True, group="run-specs")
    def load_specs(self) -> None:
        try:
            from kb.today import run_summary
            from reproductions import records, registry

            with self.store() as store:
                specs = registry.for_paper(store, self.paper_id) if self.paper_id else (
                    [registry.get(self.repro_name)] if self.repro_name else registry.all_reproductions())
                names = [s.name for s in specs]
                past = [run_summary(r) for r in (records.list_runs(store, paper_id=self.paper_id, limit=20) if self.paper_id
                                                 else records.list_runs(store, limit=40)) if r["reproduction"] in names]
            self.post_message(Loaded("specs", ([s.to_dict() for s in specs], past[:20])))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        handler = getattr(self, f"_on_{message.what.replace('-', '_')}")
        handler(message.data)

    def _on_error(self, exc: BaseException) -> None:
        self.query_one("#claim", Static).update(plain(describe(exc)))

    def _on_specs(self, data: tuple[list[dict], list[dict]]) -> None:
        specs, past = data
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
                options.add_option(Option(join(f"{spec['name']} · {preset['name']} (~{preset['seconds']:.0f} s{gpu}) · ",
                                               spec["title"])))
        options.highlighted = 0
        options.focus()
        table = self.query_one("#past", Table)
        table.display = bool(past)
        for run in past:
            table.add_row(plain(run["name"]), verdict_text(run.get("verdict")), plain(run["when"]), key=f"run:{run['id']}")
        table.fit()

    @on(DataTable.RowSelected, "#past")
    def past_chosen(self, event: DataTable.RowSelected) -> None:
        if self.handle is None and event.row_key.value:
            self.run_id = int(event.row_key.value.split(":")[1])
            self.load_run(self.run_id)

    @work(thread=True, exclusive=True, group="run-record")
    def load_run(self, run_id: int) -> None:
        """A recorded run, as `kb repro show RUN`: its record and the progress events it streamed."""
        try:
            from reproductions import records, registry

            with self.store() as store:
                record = records.get_run(store, run_id)
            try:
                record.setdefault("claim", registry.get(record["reproduction"]).claim)
            except Exception:  # noqa: BLE001 - a reproduction since removed: the record still shows
                pass
            events = [e for e in records.read_events(record) if e.get("event") == "progress"]
            self.post_message(Loaded("record", (record, events)))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("error", exc))

    def _on_record(self, data: tuple[dict, list[dict]]) -> None:
        record, events = data
        self._live(f"{record.get('reproduction')} · {record.get('preset')} · run #{record.get('run_id')}", record.get("claim"))
        log = self.query_one("#log", RichLog)
        curve = self.query_one(MetricCurve)
        # A run recorded without progress (cancelled at once, or an older record): no empty boxes.
        self.query_one("#run-live").display = bool(events)
        for event in events:
            log.write(_progress_line(event))
            if event.get("metrics"):
                curve.add_point(event.get("step") or 0, event["metrics"])
        self._result(record)

    def _live(self, subtitle: str, claim: str | None) -> None:
        """From the chooser to the run's own view: banner, claim, log and curves, claim table."""
        for wid in ("#choices", "#past"):
            self.query_one(wid).display = False
        self.query_one("#run-live").display = True
        self.query_one("#log", RichLog).clear()
        self.query_one(MetricCurve).reset()
        self.query_one("#claim", Static).update(join(("claim: ", "bold"), claim or ""))
        self.sub_title = subtitle

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if self.handle is not None:
            return
        spec, preset = self.choices[event.option_index]
        self._live(f"{spec['name']} · {preset}", spec["claim"])
        self.query_one("#verdict").display = False
        self.query_one("#result").display = False
        self.query_one("#log", RichLog).write(f"starting {spec['name']} ({preset})…")
        self.handle = "starting"  # set before the worker: a second enter must not start another run
        self.start(spec["name"], preset)

    # -- running -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="run")
    def start(self, name: str, preset: str) -> None:
        try:
            from reproductions import runner

            handle = runner.start(self.home, name, preset)
            self.app.call_from_thread(setattr, self, "handle", handle)
            if self._cancel_asked:
                handle.cancel()
            for event in handle.events():
                self.post_message(Loaded("event", event))
            self.post_message(Loaded("finished", handle.wait()))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Run", exc))
            self.post_message(Loaded("log_line", describe(exc)))
            self.app.call_from_thread(setattr, self, "handle", None)

    def _on_log_line(self, line: str) -> None:
        self.query_one("#log", RichLog).write(plain(line))

    def _on_event(self, event: dict) -> None:
        log = self.query_one("#log", RichLog)
        kind = event.get("event")
        if kind == "progress":
            log.write(_progress_line(event))
            if event.get("metrics"):
                self.query_one(MetricCurve).add_point(event.get("step") or 0, event["metrics"])
        elif kind == "log":
            log.write(plain(event.get("message", "")))
        elif kind == "start":
            log.write(plain(f"device {event.get('device_name') or event.get('device')} · seed {event.get('seed')}"))
        elif kind == "error":
            log.write(plain(f"error: {event.get('message')}" + (f" ({event['hint']})" if event.get("hint") else "")))
        elif kind == "result":
            self._result(event)

    def _result(self, record: dict) -> None:
        """The verdict at a glance, then the run's claims beside the paper's numbers (bare metrics
        when the run gave no claims)."""
        from reproductions.records import verdict

        self.record = record
        banner = self.query_one("#verdict", Static)
        banner.update(claim_table.banner(record))
        banner.set_classes(f"verdict-{verdict(record)}")
        banner.display = True
        self._claims()
        if record.get("error"):
            self.query_one("#log", RichLog).write(plain(f"{verdict(record)}: {record['error']}"))

    def _claims(self) -> None:
        if self.record is None:
            return
        table = self.query_one("#result", Table)
        table.clear(columns=True)
        claims = (self.record.get("details") or {}).get("claims") or []
        table.display = True
        if claims:
            cols = claim_table.columns(claims, self.size.width)
            for key, width in cols:
                table.add_column(claim_table.HEADERS[key], width=width, key=key)
            for cells, height in claim_table.rows(claims, cols, self.app.console):
                table.add_row(*cells, height=height)
            return
        metrics = {k: v for k, v in (self.record.get("metrics") or {}).items() if isinstance(v, (int, float, str))}
        table.display = bool(metrics)
        table.add_columns("metric", "measured")
        for key, value in metrics.items():
            table.add_row(plain(key), f"{value:.4g}" if isinstance(value, float) else plain(value))
        table.fit()

    def on_resize(self) -> None:
        self._claims()

    def _on_finished(self, record: Any) -> None:
        from reproductions.records import verdict, verdict_label

        self.query_one("#log", RichLog).write(
            plain(f"run #{record.get('run_id', '')}: {verdict_label(record)} in {record.get('seconds') or '?'} s"))
        self.notify(f"Run #{record.get('run_id', '')}: {verdict_label(record)}", markup=False,
                    severity="information" if verdict(record) == "held" else "warning")
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
        self.query_one("#log", RichLog).write("cancelling…")
        if self.handle == "starting":
            self._cancel_asked = True
            return
        self.handle.cancel()

    def on_unmount(self) -> None:
        # Leaving the screen does not orphan a subprocess.
        if self.handle is not None and self.handle != "starting":
            try:
                self.handle.cancel()
            except Exception:  # noqa: BLE001 - it may have finished already
                pass


def _progress_line(event: dict) -> Text:
    metrics = event.get("metrics") or {}
    shown = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
    return plain(f"[{event.get('phase') or 'step'} {event.get('step')}/{event.get('total')}] {shown} {event.get('message') or ''}".rstrip())
