"""Opening a paper's PDF in the user's viewer, at a page when the viewer can jump to one.

Shared by `kb open` and the TUI's `o` key. The viewer runs as a plain argv list without a shell,
so a path with spaces, quotes or `$(...)` can never be read as shell syntax.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

from kb import papers
from kb.errors import BadInput, KbError, NotFound
from kb.store import Store

Spawn = Callable[[list[str]], None]


def viewer_argv(config: dict, path: Path | str, page: int | None = None) -> list[str]:
    """`viewer.command` with {path} and {page} filled in, else the system opener.

    The placeholders are replaced literally, token by token after splitting: str.format would
    choke on any other braces (`--title={x}`) and would let a path's braces be read as fields.
    System openers cannot jump to a page; a command such as `zathura -P {page} {path}` can.
    """
    command = ((config.get("viewer") or {}).get("command") or "").strip()
    path = str(path)
    if command:
        try:
            tokens = shlex.split(command)
        except ValueError as exc:
            raise BadInput(f"cannot read the viewer command {command!r}: {exc}", "fix it with `kb config viewer.command CMD`") from exc
        page_text = str(page or 1)
        # {page} first: a page number cannot contain "{path}", but a path may contain "{page}".
        argv = [t.replace("{page}", page_text).replace("{path}", path) for t in tokens]
        if "{path}" not in command:
            argv.append(path)
        return argv
    if sys.platform == "darwin":
        return ["open", path]
    if sys.platform == "win32":
        return ["explorer", path]
    return [shutil.which("xdg-open") or "xdg-open", path]


def spawn_detached(argv: list[str]) -> None:
    """A viewer outlives the command (or the TUI) that started it and must not write over it."""
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except FileNotFoundError as exc:
        raise KbError(f"the PDF viewer {argv[0]!r} was not found",
                      "install it, or set another with `kb config viewer.command 'zathura -P {page} {path}'`") from exc
    except OSError as exc:
        raise KbError(f"could not start the PDF viewer {argv[0]!r}: {exc.strerror or exc}") from exc


def pdf_argv(store: Store, config: dict, paper_id: int, page: int | None = None) -> list[str]:
    """The command that would open the paper's PDF, without running it (`kb open --print`)."""
    path = papers.pdf_path(store, paper_id)
    if path is None:
        paper = papers.get(store, paper_id)
        raise NotFound(f"no PDF attached to {paper.citekey}", "add one with `kb add FILE`, or sync Zotero (`kb sync`)")
    if page is not None and page < 1:
        raise BadInput(f"page {page} does not exist", "pages start at 1")
    return viewer_argv(config, path, page)


def open_pdf(store: Store, config: dict, paper_id: int, page: int | None = None, *, spawn: Spawn = spawn_detached) -> list[str]:
    """Open the paper's PDF (at `page`) and return the argv run. Opening an unread paper means
    starting to read it, so its status moves to `reading`; other statuses are left alone."""
    argv = pdf_argv(store, config, paper_id, page)
    spawn(argv)
    if papers.get(store, paper_id).status == "unread":
        papers.set_status(store, paper_id, "reading")
    return argv
