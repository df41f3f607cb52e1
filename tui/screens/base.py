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

    def on_failed(self, message: Failed) -> None:
        self.notify(describe(message.error), title=message.what, severity="error", timeout=8)
