"""Unit tests for the block-wise UTF-8 decoding of CSV and JSON-lines sources (boundaries, BOM, bad bytes)."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.registry.sources import SourceError, SourceRow, open_rows, read_csv

BOM = codecs.BOM_UTF8
BLOCK = 1 << 16
HEADER = b"meter,timestamp,kw\n"


class Trickle(io.RawIOBase):
    """A raw stream whose every read returns a single byte (a pipe or a socket delivering slowly)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.position >= len(self.data):
            return 0
        buffer[0] = self.data[self.position]
        self.position += 1
        return 1


def expected(data: bytes) -> list[dict[str, str]]:
    """The rows Python's csv module finds in the decoded text, blank rows left out."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = [h.strip().lower() for h in records[0]]
    return [dict(zip(header, cells, strict=True)) for cells in records[1:] if "".join(cells).strip()]


def from_bytes(data: bytes, required: list[str] | None = None) -> list[SourceRow]:
    return list(read_csv(io.BytesIO(data), ["meter"] if required is None else required))


def filler(target: int, prefix: bytes = HEADER) -> bytes:
    """``prefix`` plus whole rows ending exactly at byte ``target`` of the file."""
    data = bytearray(prefix)
    n = 0
    while target - len(data) > 40:
        data += b"F%05d,2024-06-09T00:00:00Z,1.0\n" % n
        n += 1
    gap = target - len(data)
    data += b"G," + b"x" * (gap - 5) + b",0\n"  # one more row of the exact length left
    assert len(data) == target
    return bytes(data)


@pytest.mark.parametrize("before", [1, 7, 20])
def test_a_row_straddling_the_block_boundary_is_whole(tmp_path: Path, before: int) -> None:
    head = filler(BLOCK - before)
    straddling = b"STRADDLE,2024-06-09T10:15:00+08:00,123.456\n"
    data = head + straddling + b"LAST,2024-06-09T10:30:00Z,7\n"
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    result = list(open_rows(path, ["meter", "timestamp"]))
    assert [r.values for r in result] == expected(data)
    assert result[-2].values == {"meter": "STRADDLE", "timestamp": "2024-06-09T10:15:00+08:00", "kw": "123.456"}
    assert [r.number for r in result] == list(range(1, len(result) + 1))
    assert all(r.errors == [] for r in result)


@pytest.mark.parametrize("cut", [1, 2], ids=["1-of-3-bytes-before", "2-of-3-bytes-before"])
def test_a_multibyte_character_straddling_the_block_boundary_is_decoded(tmp_path: Path, cut: int) -> None:
    text = "电表一号".encode()  # 3 bytes per character
    head = filler(BLOCK - 1 - cut)  # "Z" then `cut` bytes of the first character before the boundary
    data = head + b"Z" + text + b",2024-06-09T00:15:00Z,2\nNEXT,2024-06-09T00:30:00Z,3\n"
    assert data[BLOCK - cut:BLOCK + 3 - cut] == "电".encode()
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    result = list(open_rows(path, ["meter"]))
    assert [r.values for r in result] == expected(data)
    assert result[-2].values["meter"] == "Z电表一号" and result[-2].errors == []
    assert not any(r.errors for r in result)


def test_a_bom_at_the_start_is_dropped_and_one_elsewhere_is_kept() -> None:
    data = BOM + HEADER + "A,2024-06-09T00:00:00Z,1\n\ufeffB,2024-06-09T00:00:00Z,2\n".encode()
    result = from_bytes(data, ["meter", "timestamp", "kw"])
    assert [r.values["meter"] for r in result] == ["A", "\ufeffB"]
    assert [r.values for r in result] == expected(data)


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_a_stream_read_one_byte_at_a_time_gives_the_same_rows(bom: bool) -> None:
    data = (BOM if bom else b"") + " Meter ,TIMESTAMP,kw\n电表,2024-06-09T00:00:00+08:00,1.5\r\n\"a\nb\",x,3".encode()
    trickled = list(read_csv(Trickle(data), ["meter", "timestamp"]))
    assert [r.values for r in trickled] == [r.values for r in from_bytes(data)] == expected(data)
    assert trickled[0].values == {"meter": "电表", "timestamp": "2024-06-09T00:00:00+08:00", "kw": "1.5"}
    assert all(r.errors == [] for r in trickled)


def test_a_start_that_only_looks_like_a_bom_is_kept() -> None:
    data = "，id,kw\n1,2\n".encode()  # U+FF0C is EF BC 8C: its first byte is the BOM's first byte
    for stream in (Trickle(data), io.BytesIO(data)):
        assert [r.values for r in read_csv(stream, [])] == [{"，id": "1", "kw": "2"}]


def test_a_stream_holding_only_a_bom_has_no_header() -> None:
    with pytest.raises(SourceError) as raised:
        list(read_csv(Trickle(BOM), ["meter"]))
    assert raised.value.code == "MISSING_COLUMN"


@pytest.mark.parametrize(("bad", "where"), [(b"\xff", "middle"), (b"\xe7\x94", "truncated"), (b"\xc0\xaf", "overlong"),
                                            (b"\xe7\x94", "at-boundary")])
def test_invalid_utf8_marks_only_its_row(bad: bytes, where: str) -> None:
    rows = [b"A,2024-06-09T00:00:00Z,1\n", b"B" + bad + b"X,2024-06-09T00:15:00Z,2\n", "C电,t,3\n".encode()]
    if where == "at-boundary":  # the two bytes of a cut-short character end the first block
        rows[0] = filler(BLOCK - 2)[len(HEADER):]
    data = HEADER + b"".join(rows)
    if where == "at-boundary":
        assert data[BLOCK - 1:BLOCK + 1] == bad
    result = from_bytes(data)
    flagged = [r.number for r in result if [e.code for e in r.errors] == ["INVALID_ENCODING"]]
    assert flagged == [result[-2].number]
    assert result[-2].values["meter"].startswith("B") and result[-1].values["meter"] == "C电"
    assert not any(r.errors for r in result if r.number != result[-2].number)


def test_invalid_utf8_in_the_last_line_without_newline() -> None:
    result = from_bytes(HEADER + b"A,t,1\nB,t,\xe7\x94")
    assert [(r.number, [e.code for e in r.errors]) for r in result] == [(1, []), (2, ["INVALID_ENCODING"])]


def test_quoted_newlines_crlf_and_a_last_line_without_newline(tmp_path: Path) -> None:
    data = (b'meter,timestamp,note\r\nA,"2024-06-09T00:00:00Z","one\nline ""two"""\r\n'
            b'B,t,"x\r\ny, z"\r\nC,t,last')
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    result = list(open_rows(path, ["meter"]))
    assert [r.values for r in result] == expected(data) == [
        {"meter": "A", "timestamp": "2024-06-09T00:00:00Z", "note": 'one\nline "two"'},
        {"meter": "B", "timestamp": "t", "note": "x\r\ny, z"},
        {"meter": "C", "timestamp": "t", "note": "last"}]
    assert [r.number for r in result] == [1, 2, 3]
    assert all(r.errors == [] for r in result)


def test_whitespace_only_rows_are_skipped_but_counted() -> None:
    data = HEADER + b"A,t,1\n\n   \r\n , ,\t\n,,\nB,t,2\n \n"
    result = from_bytes(data)
    assert [(r.number, r.values["meter"]) for r in result] == [(1, "A"), (6, "B")]
    assert [r.values for r in result] == expected(data)


def test_a_large_file_matches_the_csv_module(tmp_path: Path) -> None:
    lines = [f"M{n % 7}{'电' * (n % 5)},2024-06-0{1 + n % 9}T{n % 24:02d}:00:00+08:00,\"{n}.5\"\r\n"
             for n in range(9000)]
    data = BOM + HEADER + "".join(lines).encode()
    assert len(data) > 4 * BLOCK
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    result = list(open_rows(path, ["meter", "timestamp", "kw"]))
    assert [r.values for r in result] == expected(data)
    assert len(result) == 9000 and not any(r.errors for r in result)


def test_json_lines_straddling_the_block_boundary(tmp_path: Path) -> None:
    items = [{"meter": f"电表{n}", "timestamp": "2024-06-09T00:00:00Z", "kw": n / 3} for n in range(3000)]
    data = BOM + "\n".join(json.dumps(item, ensure_ascii=False) for item in items).encode()
    assert len(data) > 2 * BLOCK
    path = tmp_path / "r.jsonl"
    path.write_bytes(data)
    result = list(open_rows(path, []))
    assert [r.values for r in result] == items
    assert [r.number for r in result] == list(range(1, 3001)) and not any(r.errors for r in result)
