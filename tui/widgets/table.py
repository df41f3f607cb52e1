"""A DataTable whose measured columns are sized as it is filled, not when it next goes idle.

Textual's DataTable measures its auto-width columns in its idle handler. A paint that falls
between `add_row` and that idle renders every cell at its column's old width (a new table's:
the header's) and caches it under a key that leaves the width out; the measure then changes
only the virtual size, which sends no Resize, so nothing drops the cache and the cells stay
cut ("⊘ canc", a "why" of three cells) until the cursor moves. A busy machine makes that
paint likely: CI saw it on a restarted Today (stop 22). `Table.fit()` measures the rows the
screen just added, in the same step, so whatever is painted next is painted at full width.
"""

from __future__ import annotations

from rich.protocol import is_renderable
from rich.text import Text
from textual.render import measure
from textual.widgets import DataTable


def _cell(value: object) -> object:
    """A cell as DataTable draws it (textual.widgets._data_table.default_cell_formatter, a
    private name that a later Textual may move; tests/tui check the two measure alike)."""
    if isinstance(value, str):
        return Text.from_markup(value, end="")
    if isinstance(value, float):
        return Text(f"{value:.2f}", end="")
    if not is_renderable(value):
        return Text(str(value), end="")
    return value


try:
    from textual.widgets._data_table import default_cell_formatter as cell_formatter
except ImportError:  # pragma: no cover - only on a Textual that moved it
    cell_formatter = _cell


class Table(DataTable):
    def fit(self) -> None:
        """Size every auto-width column to its header and the cells it holds now.

        Call it right after filling the table. A column refilled with shorter text narrows
        again (DataTable alone only ever widens a column)."""
        console = self.app.console
        for index, column in enumerate(self.ordered_columns):
            if not column.auto_width:
                continue
            widest = measure(console, column.label, 1)
            for row_index in range(self.row_count):
                cell = cell_formatter(self.get_row_at(row_index)[index])
                widest = max(widest, measure(console, cell, 1))
            column.content_width = widest
        self.refresh()
