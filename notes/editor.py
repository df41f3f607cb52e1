"""Opening a note in the user's editor: the configured command, else $VISUAL, else $EDITOR,
else a sensible default. Run without a shell, so a path with spaces or quotes is safe."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from kb.errors import KbError

FALLBACKS = ("nano", "vim", "vi")


def editor_command(editor_cmd: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The editor as an argument list (the note's path goes after it)."""
    env = os.environ if env is None else env
    for value in (editor_cmd, env.get("VISUAL"), env.get("EDITOR")):
        if value and value.strip():
            try:
                args = shlex.split(value, posix=os.name != "nt")
            except ValueError as exc:
                raise KbError(f"cannot read the editor command {value!r}: {exc}", "fix $VISUAL/$EDITOR or notes.editor") from exc
            if args:
                return args
    return default_editor()


def default_editor() -> list[str]:
    if sys.platform == "win32":
        return ["notepad"]
    if sys.platform == "darwin":
        return ["open", "-W", "-t"]  # the default text editor, waiting until it closes
    for name in FALLBACKS:
        if shutil.which(name):
            return [name]
    raise KbError("no editor found", "set $EDITOR (for example `export EDITOR=nano`) or `kb config notes.editor CMD`")


def open_in_editor(path: Path | str, editor_cmd: str | None = None) -> None:
    args = [*editor_command(editor_cmd), str(path)]
    try:
        result = subprocess.run(args)
    except FileNotFoundError as exc:
        raise KbError(f"the editor {args[0]!r} was not found", "set $EDITOR or `kb config notes.editor CMD` to an installed editor") from exc
    except OSError as exc:
        raise KbError(f"could not start the editor {args[0]!r}: {exc.strerror or exc}") from exc
    if result.returncode != 0:
        raise KbError(f"the editor exited with status {result.returncode}", f"the note is at {path}")
