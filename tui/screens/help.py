"""F1: the keys of the screen underneath and of the whole app, in one modal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

GENERAL = """\
# paper-kb keys

| key | where | what |
|---|---|---|
| t p l / v b | anywhere | Today, Plan, Library, Search, Review, Brief |
| ctrl+p | anywhere | command palette: papers, plans and actions by name |
| enter | lists, trees, tables | open the paper under the cursor |
| escape | paper, graph, run | back |
| e o s r g | paper | edit note, open PDF (at the page), status, run a reproduction, graph |
| space/enter, 1–4, u | review | reveal, Again/Hard/Good/Easy, undo |
| f | library | filter; o cycles the sort column (or click a header) |
| ctrl+o | search | cycle hybrid / keyword / semantic |
| c | run | cancel the run |
| f2 | anywhere | light / dark theme |
| q | anywhere | quit |
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(GENERAL)
