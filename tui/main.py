"""Entry point of the TUI: imports only Textual and the light parts of the domain."""

from __future__ import annotations

import sys
from pathlib import Path


def run(home: Path, *, headless: bool = False) -> int:
    """Run the app; the exit code: 0, or 1 when it stopped on an unexpected error."""
    from tui.app import KbApp

    app = KbApp(home=home)
    app.run(headless=headless)
    if app.crash_message:
        print(app.crash_message, file=sys.stderr)
    return app.return_code or 0
