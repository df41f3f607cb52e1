"""Entry point of the TUI: imports only Textual and the light parts of the domain."""

from __future__ import annotations

from pathlib import Path


def run(home: Path) -> None:
    from tui.app import KbApp

    KbApp(home=home).run()
