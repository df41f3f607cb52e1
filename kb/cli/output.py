"""Printing for the CLI: JSON for scripts, aligned text tables (CJK-aware) for people."""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any, Iterable, Sequence

import click

from kb.terminal_text import clean


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=None, default=str))


def cell_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1 for ch in text)


def truncate(text: str, width: int) -> str:
    # Titles come from Zotero, PDFs and plans: terminal escapes in them never reach the terminal.
    text = " ".join(clean(text).split())
    if cell_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], max_widths: Sequence[int] | None = None) -> str:
    rows = [["" if v is None else clean(v) for v in row] for row in rows]
    max_widths = list(max_widths or [60] * len(headers))
    rows = [[truncate(v, max_widths[i]) for i, v in enumerate(row)] for row in rows]
    widths = [max([cell_width(h)] + [cell_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(v, widths[i]) for i, v in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines)


def echo_table(rows, headers, max_widths=None) -> None:
    click.echo(table(rows, headers, max_widths))


def warn(message: str) -> None:
    click.echo(f"warning: {clean(message)}", err=True)


def say(text: Any) -> None:
    """click.echo for a line that quotes data (a title, a note's text): escapes stripped."""
    click.echo(clean(text))


def progress_enabled() -> bool:
    return sys.stderr.isatty()


def confirm(question: str, yes: bool) -> None:
    """Ask before removing something; `--yes` skips the question. Without a terminal to ask on,
    refuse with one line rather than remove unasked."""
    from kb.errors import BadInput

    if yes:
        return
    if not _can_ask():
        raise BadInput(f"{question.rstrip('?')}: needs confirmation", "add --yes to confirm without a question")
    if not click.confirm(question, default=False):
        raise click.exceptions.Exit(1)


def _can_ask() -> bool:
    return sys.stdin.isatty()
