"""The editor the TUI hands a note to. The PDF viewer is kb.viewer's (shared with `kb open`).

The editor is a plain argv list run without a shell, so a path with spaces or quotes can never be
read as shell syntax. The App takes the editor runner and the PDF opener as constructor
arguments so tests (and other front ends) can inject their own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

Editor = Callable[[Path], None]
Opener = Callable[[list[str]], None]


def editor_argv(config: dict, path: Path, line: int | None = None) -> list[str]:
    """The same editor `kb note` runs: notes.editor, else $VISUAL, else $EDITOR, else a default;
    at `line` (a card's, from the review screen) where the editor can be told one."""
    from notes.editor import editor_command, line_args

    return line_args(editor_command((config.get("notes") or {}).get("editor") or None), path, line or 0)


def run_editor(argv: list[str]) -> None:
    """Runs in the foreground while the App is suspended: the editor owns the terminal."""
    subprocess.run(argv, check=False)
