"""F1: every screen's keys and the whole app's, in one modal, read from the bindings themselves
(a key added to a screen is listed without editing this file)."""

from __future__ import annotations

import importlib

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# (module, class, heading) in the order a user meets them.
SCREENS = (
    ("today", "TodayScreen", "Today"),
    ("plan", "PlanScreen", "Plan"),
    ("library", "LibraryScreen", "Library"),
    ("search", "SearchScreen", "Search"),
    ("paper", "PaperScreen", "Paper"),
    ("review", "ReviewScreen", "Review"),
    ("run", "RunScreen", "Run"),
    ("graph", "GraphScreen", "Graph"),
    ("brief", "BriefScreen", "Brief"),
)
# What the bindings do not say: keys that widgets handle themselves.
EXTRA = (
    ("enter", "lists, trees, tables: open the paper (or run) under the cursor"),
    ("ctrl+p", "command palette: papers, plans and actions by name"),
    ("tab / shift+tab", "move between the parts of a screen"),
)


def key_name(binding: Binding) -> str:
    return binding.key_display or ", ".join(
        {"slash": "/", "escape": "esc", "space": "space"}.get(k.strip(), k.strip()) for k in binding.key.split(","))


def bindings_of(cls) -> list[Binding]:
    return [b for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding)]


def help_text(app_bindings: list[Binding]) -> Text:
    """The keys, screen by screen: plain Text (descriptions are ours, but no markup is needed)."""
    text = Text()
    text.append("paper-kb keys\n\n", style="bold")
    text.append("Anywhere\n", style="bold underline")
    for b in app_bindings:
        text.append(f"  {key_name(b):<16}{b.description}\n")
    for key, what in EXTRA:
        text.append(f"  {key:<16}{what}\n")
    for module, name, heading in SCREENS:
        try:
            cls = getattr(importlib.import_module(f"tui.screens.{module}"), name)
        except Exception:  # noqa: BLE001 - a screen that cannot load is left out, not the help
            continue
        rows = bindings_of(cls)
        if not rows:
            continue
        text.append(f"\n{heading}\n", style="bold underline")
        for b in rows:
            text.append(f"  {key_name(b):<16}{b.description}\n")
    return text


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(bindings_of(type(self.app))), id="help-text")
