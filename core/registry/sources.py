"""Streaming row sources for imports: CSV or JSON (array or lines), UTF-8 with or without BOM."""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from core.error_codes import ErrorCode
from core.errors import FieldError

_BOM = codecs.BOM_UTF8


class SourceError(Exception):
    """The file as a whole cannot be read (unknown format, missing columns, not JSON)."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SourceRow:
    number: int  # 1-based data row number (CSV: the header is row 0)
    values: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)


def detect_format(name: str, head: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    text = head.removeprefix(_BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    return "csv"


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """The stream's lines (split at \\n only, ends kept), decoded in blocks; bytes that are not UTF-8
    survive as lone surrogates for the row checks to report."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    pending: list[str] = []
    head: bytes | None = b""
    while block := stream.read(1 << 16):
        if head is not None:  # the byte-order mark, if any, is the first three bytes of the stream
            head += block
            if len(head) < len(_BOM) and head == _BOM[:len(head)]:
                continue
            block, head = head.removeprefix(_BOM), None
        text = decoder.decode(block)
        if "\n" not in text:  # a long line: keep the pieces, join them once (not once per block)
            pending.append(text)
            continue
        parts = text.split("\n")
        parts[0] = "".join(pending) + parts[0]
        pending = [parts.pop()]
        yield from [part + "\n" for part in parts]
    rest = "".join(pending) + decoder.decode(head or b"", final=True)
    if rest:
        yield rest


_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what surrogateescape leaves for bytes that are not UTF-8


def _has_bad_bytes(values: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and _UNDECODABLE.search(v) for v in values.values())


def read_csv(stream: BinaryIO, required: list[str]) -> Iterator[SourceRow]:
    reader = csv.reader(_decoded_lines(stream))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise SourceError("the file is empty: a header row is required", ErrorCode.MISSING_COLUMN) from None
    except csv.Error as exc:
        raise SourceError(f"the header line is not valid CSV: {exc}", ErrorCode.MALFORMED_FILE) from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(f"missing required column(s): {', '.join(missing)}", ErrorCode.MISSING_COLUMN)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceRow(number, {}, [FieldError("", f"row is not valid CSV: {exc}", ErrorCode.MALFORMED_ROW)])
            continue
        joined = "".join(cells)
        if not joined.strip():
            continue
        row = SourceRow(number, dict(zip(header, cells, strict=False)))
        if len(cells) != len(header):
            row.errors.append(FieldError(
                "", f"row has {len(cells)} fields, the header has {len(header)}", ErrorCode.MALFORMED_ROW))
        elif not joined.isascii() and _UNDECODABLE.search(joined):
            row.errors.append(FieldError("", "row is not valid UTF-8", ErrorCode.INVALID_ENCODING))
        yield row


def _check_object(number: int, item: Any) -> SourceRow:
    if not isinstance(item, dict):
        return SourceRow(number, {}, [FieldError("", "each item must be a JSON object", ErrorCode.MALFORMED_ROW)])
    return SourceRow(number, {str(k).lower(): v for k, v in item.items()})


def read_json_array(stream: BinaryIO) -> Iterator[SourceRow]:
    head = stream.read(3)
    if head != _BOM:
        stream.seek(0)
    start = stream.tell()
    first = stream.read(4096).lstrip()[:1]
    stream.seek(start)
    if first != b"[":
        raise SourceError("a .json file must hold a JSON array of objects", ErrorCode.MALFORMED_FILE)
    try:
        for number, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield _check_object(number, item)
    except ijson.JSONError as exc:
        raise SourceError(f"the file is not a valid JSON array: {exc}", ErrorCode.MALFORMED_FILE) from exc
    except UnicodeDecodeError as exc:
        raise SourceError("the file is not valid UTF-8", ErrorCode.INVALID_ENCODING) from exc


def read_json_lines(stream: BinaryIO) -> Iterator[SourceRow]:
    number = 0
    for line in _decoded_lines(stream):
        if not line.strip():
            continue
        number += 1
        try:
            row = _check_object(number, json.loads(line))
        except json.JSONDecodeError:
            undecodable = any("\udc80" <= ch <= "\udcff" for ch in line)
            code = ErrorCode.INVALID_ENCODING if undecodable else ErrorCode.MALFORMED_ROW
            yield SourceRow(number, {}, [FieldError("", "line is not a JSON object", code)])
            continue
        if not row.errors and _has_bad_bytes(row.values):
            row.errors.append(FieldError("", "line is not valid UTF-8", ErrorCode.INVALID_ENCODING))
        yield row


def open_rows(path: Path, required: list[str]) -> Iterator[SourceRow]:
    """Stream the rows of ``path``; its format comes from the extension or the first bytes."""
    with path.open("rb") as stream:
        kind = detect_format(path.name, stream.read(64))
        stream.seek(0)
        if kind == "csv":
            yield from read_csv(stream, required)
        elif kind == "json":
            yield from read_json_array(stream)
        else:
            yield from read_json_lines(stream)
