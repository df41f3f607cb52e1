"""What every screen shares: the data home, a per-thread store, and one way to report failures."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from tui import domain
from tui.messages import Failed


def describe(error: BaseException) -> str:
    """One line for the user: a KbError's message and hint, or what was not available yet."""
    from kb.errors import KbError

    if isinstance(error, domain.Unavailable):
        return f"{error.feature} is not available yet in this install"
    if isinstance(error, KbError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


class KbScreen(Screen):
    """A screen of the app. Subclasses load data in `@work(thread=True)` workers via `self.store()`."""

    @property
    def home(self) -> Path:
        return self.app.home  # type: ignore[attr-defined]

    def store(self):
        """A fresh connection for the calling worker thread (SQLite connections are per thread)."""
        return domain.store(self.home)

    def on_failed(self, message: Failed) -> None:
        self.notify(describe(message.error), title=message.what, severity="error", timeout=8)
