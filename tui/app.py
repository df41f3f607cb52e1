from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class KbApp(App):
    TITLE = "paper-kb"

    def __init__(self, home: Path, **kwargs):
        super().__init__(**kwargs)
        self.home = home

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("paper-kb")
        yield Footer()
