"""Reading status as symbol + word, so it never depends on colour alone."""

from __future__ import annotations

from rich.text import Text

SYMBOLS = {"unread": "○", "reading": "◐", "read": "●", "reviewed": "✔"}
STYLES = {"unread": "dim", "reading": "bold yellow", "read": "green", "reviewed": "bold green"}
ORDER = ("unread", "reading", "read", "reviewed")


def status_text(status: str | None) -> Text:
    status = status or "unread"
    return Text(f"{SYMBOLS.get(status, '?')} {status}", style=STYLES.get(status, ""))


def next_status(status: str | None) -> str:
    """The status `s` moves a paper to: the reading order, wrapping round."""
    i = ORDER.index(status) if status in ORDER else -1
    return ORDER[(i + 1) % len(ORDER)]


def done_text(done: bool) -> Text:
    return Text("[x]" if done else "[ ]", style="green" if done else "dim")


# A run's one verdict (reproductions.records.VERDICTS) as symbol + the same words as the CLI.
VERDICT_SYMBOLS = {"held": "✔", "not_held": "✘", "cancelled": "⊘", "error": "!", "crashed": "?", "running": "…"}
VERDICT_STYLES = {"held": "bold green", "not_held": "bold red", "cancelled": "dim", "error": "bold yellow",
                  "crashed": "yellow", "running": "italic"}


def verdict_text(verdict: str | None) -> Text:
    from reproductions.records import VERDICT_LABELS

    label = VERDICT_LABELS["en"].get(verdict or "", verdict or "no verdict")
    return Text(f"{VERDICT_SYMBOLS.get(verdict or '', '?')} {label}", style=VERDICT_STYLES.get(verdict or "", ""))
