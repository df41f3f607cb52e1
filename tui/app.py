"""The Textual app: a thin front end over kb/, notes/ and reproductions/.

This module holds only the App: navigation between screens, the injected editor and PDF opener,
and the handlers for messages that change screens. Everything else lives in screens/ and
widgets/, and all blocking work runs in the screens' thread workers.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, SuspendNotSupported
from textual.binding import Binding

from tui import launch
from tui.commands import KbCommands
from tui.messages import OpenGraph, OpenPaper, OpenRun, StartRun
from tui.screens.today import TodayScreen


def _lazy(module: str, name: str):
    """A screen factory that imports its module on first use: only Today is needed for the first
    frame, and the others pull in Markdown, Tree and plotting widgets."""

    def make():
        import importlib

        return getattr(importlib.import_module(f"tui.screens.{module}"), name)()

    return make


class KbApp(App):
    TITLE = "paper-kb"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {KbCommands}
    # Modes keep each top-level screen (and its state: a half-typed search, a review session)
    # alive while the user walks elsewhere.
    MODES = {
        "today": TodayScreen,
        "plan": _lazy("plan", "PlanScreen"),
        "library": _lazy("library", "LibraryScreen"),
        "search": _lazy("search", "SearchScreen"),
        "review": _lazy("review", "ReviewScreen"),
        "brief": _lazy("brief", "BriefScreen"),
    }
    DEFAULT_MODE = "today"
    BINDINGS = [
        # Quit and Brief first after Help: on an 80-column screen the footer's tail is cut.
        Binding("f1", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("b", "go('brief')", "Brief", id="app.brief"),
        Binding("t", "go('today')", "Today", id="app.today"),
        Binding("p", "go('plan')", "Plan", id="app.plan"),
        Binding("l", "go('library')", "Library", id="app.library"),
        Binding("slash", "go('search')", "Search", key_display="/", id="app.search"),
        Binding("v", "go('review')", "Review", id="app.review"),
        Binding("f2", "toggle_theme", "Theme", show=False, id="app.theme"),
    ]

    def __init__(self, home: Path, *, editor: launch.Editor | None = None, opener: launch.Opener | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.home = Path(home)
        self._editor = editor
        self._opener = opener
        self.crash_message: str | None = None

    # -- navigation ------------------------------------------------------------------------
    def action_go(self, mode: str) -> None:
        if self.current_mode == mode:
            # Pressing a mode's key again goes back to its root (out of papers opened from it).
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        self.switch_mode(mode)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def on_open_paper(self, message: OpenPaper) -> None:
        from tui.screens.paper import PaperScreen

        self.push_screen(PaperScreen(message.paper_id, page=message.page))

    def on_open_graph(self, message: OpenGraph) -> None:
        from tui.screens.graph import GraphScreen

        self.push_screen(GraphScreen(message.paper_id))

    def on_start_run(self, message: StartRun) -> None:
        from tui.screens.run import RunScreen

        self.push_screen(RunScreen(paper_id=message.paper_id, name=message.name))

    def on_open_run(self, message: OpenRun) -> None:
        from tui.screens.run import RunScreen

        self.push_screen(RunScreen(run_id=message.run_id))

    # -- crashes ----------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """A bug inside the app: one line on exit (and a non-zero code from `kb`), the full
        traceback kept in the data home for a bug report instead of a screenful of locals."""
        super()._handle_exception(error)
        from tui.crash import one_line, write_log

        # Printed by tui.main after the terminal is restored, unwrapped (the path must stay whole).
        self.crash_message = one_line(error, write_log(self.home, error))
        self._exit_renderables.clear()

    # -- external programs -----------------------------------------------------------------
    def edit_file(self, path: Path, line: int | None = None) -> None:
        """Hand the terminal to the editor and take it back; runs on the UI thread by design."""
        from kb.errors import KbError

        try:
            if self._editor is not None:
                editor = self._editor
            else:
                argv = launch.editor_argv(self.config, path, line)  # before suspending: "no editor" is a message
                editor = lambda _: launch.run_editor(argv)  # noqa: E731
            try:
                with self.suspend():
                    editor(path)
            except SuspendNotSupported:
                # Headless runs (tests, web) cannot give the terminal away; the editor still runs.
                editor(path)
        except KbError as exc:
            self.notify(str(exc), title="Editor", severity="error", timeout=8, markup=False)
        except OSError as exc:  # the configured editor is not installed
            self.notify(f"could not start the editor: {exc.strerror or exc} (set $EDITOR or `kb config notes.editor CMD`)",
                        title="Editor", severity="error", timeout=8, markup=False)
        self.refresh()

    @property
    def opener(self) -> launch.Opener:
        """What starts the PDF viewer: kb.viewer's detached spawn unless one was injected."""
        if self._opener is None:
            from kb.viewer import spawn_detached

            return spawn_detached
        return self._opener

    @property
    def config(self) -> dict:
        from kb import config as config_mod, paths

        return config_mod.load(paths.config_path(self.home))
