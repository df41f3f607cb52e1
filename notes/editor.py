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
    open_at_line(path, 0, editor_cmd)  # line 0: at the top, whatever the editor


# Editors that take `+LINE` before the file (vi family, nano, emacs, micro, kakoune, helix).
_PLUS_LINE = {"vi", "vim", "nvim", "gvim", "nano", "emacs", "emacsclient", "micro", "kak", "hx", "helix", "joe", "ne"}
_GOTO = {"code", "codium", "code-insiders", "cursor"}  # `--goto path:line`


def line_args(editor: list[str], path: Path | str, line: int) -> list[str]:
    """The argv that opens path at line where the editor has a way to say so, else at the top."""
    name = Path(editor[0]).name.lower().removesuffix(".exe") if editor else ""
    if name in _PLUS_LINE and line > 0:
        return [*editor, f"+{line}", str(path)]
    if name in _GOTO and line > 0:
        return [*editor, "--goto", f"{path}:{line}"]
    return [*editor, str(path)]


def open_at_line(path: Path | str, line: int, editor_cmd: str | None = None) -> None:
    """Open a note at a card's line (the review screen's and `kb review edit`'s e)."""
    args = line_args(editor_command(editor_cmd), path, line)
    try:
        result = subprocess.run(args)
    except FileNotFoundError as exc:
        raise KbError(f"the editor {args[0]!r} was not found", "set $EDITOR or `kb config notes.editor CMD` to an installed editor") from exc
    except OSError as exc:
        raise KbError(f"could not start the editor {args[0]!r}: {exc.strerror or exc}") from exc
    if result.returncode != 0:
        raise KbError(f"the editor exited with status {result.returncode}", f"the note is at {path}")
