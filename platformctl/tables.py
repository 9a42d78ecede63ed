"""Tables that adapt to the terminal: a table when it fits, else one block per row. Nothing is ever cut.

A resource name, URN or config key is what a reader copies into a search or an edit: an ellipsis in it is worse
than no table. When the rows fit the console's width they are a table with every cell on one line; when they do
not, each row becomes a block (its first cell, then `header: value` lines), printed with soft wrapping so the
terminal, not the renderer, folds a line that is still too long.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

GAP = 3  # rich's column separator and padding per column (" │ ")


def fits(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> bool:
    widths = [max([len(h), *(len(_plain(r[i])) for r in rows)]) for i, h in enumerate(headers)]
    return sum(widths) + GAP * (len(headers) - 1) + 2 <= width


def _plain(cell: object) -> str:
    return getattr(cell, "plain", None) or str(cell)


def print_rows(
    console: Console,
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    justify: dict[int, str] | None = None,
) -> None:
    """Print `rows` (cells: str or rich Text) under `headers` as a table or, when too wide, as blocks."""
    from rich.table import Table
    from rich.text import Text

    justify = justify or {}
    if fits(headers, rows, console.width):
        table = Table(title=title, title_justify="left", show_edge=False)
        for i, header in enumerate(headers):
            table.add_column(header, no_wrap=True, overflow="ignore", justify=justify.get(i, "left"))  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in row))
        console.print(table)
        return
    if title:
        console.print(Text(title, style="italic"), soft_wrap=True)
    for row in rows:
        first = row[0] if isinstance(row[0], Text) else Text(str(row[0]), style="bold")
        console.print(first, soft_wrap=True)
        for header, cell in zip(headers[1:], row[1:], strict=True):
            text = cell if isinstance(cell, Text) else Text(str(cell))
            if text.plain:
                console.print(Text(f"  {header}: ") + text, soft_wrap=True)
