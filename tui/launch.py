"""External programs the TUI hands work to: the user's editor and a PDF viewer.

Both are plain argv lists run without a shell, so a title or path with spaces or quotes can never
be interpreted as shell syntax. The App takes the two runners as constructor arguments so tests
(and other front ends) can inject their own.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

Editor = Callable[[Path], None]
Opener = Callable[[list[str]], None]


def editor_argv(config: dict, path: Path) -> list[str]:
    command = (config.get("notes", {}).get("editor") or os.environ.get("VISUAL") or os.environ.get("EDITOR")
               or ("notepad" if sys.platform == "win32" else "vi"))
    return [*shlex.split(command), str(path)]


def viewer_argv(config: dict, path: Path | str, page: int | None) -> list[str]:
    """The configured viewer command with {path} and {page} filled in, or the system opener.

    System openers cannot jump to a page; a viewer command such as `zathura -P {page} {path}` can.
    """
    command = (config.get("viewer", {}).get("command") or "").strip()
    if command:
        values = {"path": str(path), "page": str(page or 1)}
        argv = [token.format(**values) for token in shlex.split(command)]
        if "{path}" not in command:
            argv.append(str(path))
        return argv
    if sys.platform == "darwin":
        return ["open", str(path)]
    if sys.platform == "win32":
        return ["explorer", str(path)]
    return [shutil.which("xdg-open") or "xdg-open", str(path)]


def run_editor(argv: list[str]) -> None:
    """Runs in the foreground while the App is suspended: the editor owns the terminal."""
    subprocess.run(argv, check=False)


def spawn_viewer(argv: list[str]) -> None:
    """A viewer outlives the TUI and must not write over its screen."""
    subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
