"""What the user sees when the TUI itself fails: one line and a hint, as every `kb` error; the
traceback goes to a log file in the data home (nothing a bug report needs is lost)."""

from __future__ import annotations

import traceback
from datetime import datetime, timezone
from pathlib import Path

from kb.terminal_text import clean


def log_path(home: Path) -> Path:
    return Path(home) / "logs" / "tui-crash.log"


def write_log(home: Path, error: BaseException) -> Path | None:
    """Append the traceback to the crash log; None when the data home cannot be written."""
    path = log_path(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
            fh.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    except OSError:
        return None
    return path


def one_line(error: BaseException, log: Path | None) -> str:
    """`error: …` and `hint: …` (escapes stripped: the message may come from data)."""
    message = " ".join(clean(error).split())[:300]
    where = f"the traceback is in {log}; please include it in a bug report" if log else "please report this bug"
    return f"error: the TUI stopped on an unexpected {type(error).__name__}: {message}\nhint: {where}"
