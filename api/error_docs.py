"""docs/api.md's table of error codes, generated from ``core.error_codes.ErrorCode`` (``ecoinspect error-codes``)."""

from __future__ import annotations

from core.error_codes import ErrorCode

BEGIN = "<!-- error codes: generated from core/error_codes.py by `ecoinspect error-codes`; do not edit -->"
END = "<!-- end of error codes -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def error_table() -> str:
    """One row per code, in alphabetical order: the code, its meaning, and whether a client may retry."""
    rows = [f"| `{code.value}` | {_cell(code.meaning)} | {'yes' if code.retry else 'no'} |"
            for code in sorted(ErrorCode, key=lambda c: c.value)]
    return "\n".join(["| code | meaning | retry? |", "|---|---|---|", *rows])


def with_error_table(doc: str) -> str:
    """``doc`` with the text between the markers replaced by the current table (the markers must be there)."""
    head, found, rest = doc.partition(BEGIN)
    _, ended, tail = rest.partition(END)
    if not found or not ended:
        raise ValueError(f"the document lacks the markers {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n{error_table()}\n{END}{tail}"
