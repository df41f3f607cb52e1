"""Messages the screens and workers exchange.

Workers run in threads and never touch widgets: they post one of these (post_message is
thread-safe) and the handler on the UI thread updates the screen.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class OpenPaper(Message):
    """Show a paper; bubbles up to the App, which pushes the Paper screen."""

    def __init__(self, paper_id: int, page: int | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.page = page


class OpenGraph(Message):
    def __init__(self, paper_id: int) -> None:
        super().__init__()
        self.paper_id = paper_id


class StartRun(Message):
    """Launch a reproduction (of a paper, or by name) on the Run screen."""

    def __init__(self, paper_id: int | None = None, name: str | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.name = name


class OpenRun(Message):
    """Show one recorded run (its verdict, claims and curve) on the Run screen."""

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class Loaded(Message):
    """A worker's result for the screen that started it; `what` says which part it fills."""

    def __init__(self, what: str, data: Any) -> None:
        super().__init__()
        self.what = what
        self.data = data


class Failed(Message):
    """A worker failed: `error` is shown to the user as one line (KbError message and hint)."""

    def __init__(self, what: str, error: BaseException) -> None:
        super().__init__()
        self.what = what
        self.error = error


class LibraryChanged(Message):
    """Papers, statuses or plans changed (demo built, status set): screens reload what they show."""

