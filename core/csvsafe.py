"""CSV output a spreadsheet cannot execute: text cells that could start a formula are neutralised.

OWASP's rule for CSV injection: a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is read as a formula by Excel, LibreOffice and Google Sheets, so it gets a leading ``'``
(shown by nothing, stored as text). We add line feed and the full-width forms (＝＋－＠), which
CJK input methods produce and some spreadsheet versions also accept as a formula start.

Numbers the code itself produces (``int``/``float``) are written as they are: ``-5`` from an
integer is data, and prefixing it would turn a numeric column into text. Every ``str`` is text,
however numeric it looks, because text can come from a user.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """The value to write in one cell: numbers as they are, text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def render(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, header: bool = True) -> str:
    """A whole CSV document (header, then one line per row, missing keys empty), every cell made safe.
    ``header=False`` gives the lines of further rows, for a document written in parts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
