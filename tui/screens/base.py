"""What every screen shares: the data home, a per-thread store, the config, and one way to
report failures."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from tui.messages import Failed


def describe(error: BaseException) -> str:
    """One line for the user: a KbError's message and hint; anything else is a bug, named as such."""
    from kb.errors import KbError

    if isinstance(error, KbError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


class KbScreen(Screen):
    """A screen of the app. Subclasses load data in `@work(thread=True)` workers via `self.store()`."""

    @property
    def home(self) -> Path:
        return self.app.home  # type: ignore[attr-defined]

    def store(self):
        """A fresh connection for the calling worker thread (SQLite connections are per thread),
        closed at the end of its `with` block."""
        from kb.store import Store

        return Store.open(self.home)

    def config(self) -> dict:
        """Read on each use: `kb config` in another terminal takes effect without a restart."""
        return self.app.config  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        # Textual calls this besides each screen's own on_mount (handlers run along the MRO).
        # A compact footer without the palette hint keeps Brief and Quit on an 80-column screen;
        # ctrl+p is listed under F1.
        from textual.widgets import Footer

        for footer in self.query(Footer):
            footer.compact = True
            footer.show_command_palette = False

    def on_failed(self, message: Failed) -> None:
        # The message may quote data (a title, a path): never markup.
        self.notify(describe(message.error), title=message.what, severity="error", timeout=8, markup=False)
