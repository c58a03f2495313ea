"""Unit tests for the streaming import sources: CSV, JSON array and JSON lines."""

from __future__ import annotations

import codecs
import io
import json
import tracemalloc
from pathlib import Path
from typing import IO, Any

import pytest

from core.registry.sources import (
    SourceError,
    SourceRow,
    detect_format,
    open_rows,
    read_csv,
    read_json_array,
    read_json_lines,
)

BOM = codecs.BOM_UTF8
REQUIRED = ["credit_code", "name"]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(path: Path, required: list[str] | None = None) -> list[SourceRow]:
    return list(open_rows(path, REQUIRED if required is None else required))


def codes(row: SourceRow) -> list[str]:
    return [e.code for e in row.errors]


class TrackedPath(type(Path())):  # type: ignore[misc]
    """A Path that remembers the binary file objects opened from it."""

    opened: list[IO[bytes]]

    def open(self, *args: Any, **kwargs: Any) -> Any:
        handle = super().open(*args, **kwargs)
        type(self).opened.append(handle)
        return handle


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_csv_header_recognised_with_and_without_bom(tmp_path: Path, bom: bool) -> None:
    data = "credit_code,name\n91110000802100433B,北京企业\n".encode()
    path = write(tmp_path, "e.csv", (BOM if bom else b"") + data)
    (row,) = rows(path)
    assert row.number == 1
    assert row.values == {"credit_code": "91110000802100433B", "name": "北京企业"}
    assert row.errors == []


def test_csv_header_is_trimmed_and_lower_cased(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", BOM + b" Credit_Code , NAME \nX,Y\n")
    (row,) = rows(path)
    assert row.values == {"credit_code": "X", "name": "Y"}


def test_csv_crlf_and_quoted_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", b'credit_code,name\r\nA,"line one\r\nline two"\r\nB,"x, y"\r\n')
    result = rows(path)
    assert [r.values for r in result] == [
        {"credit_code": "A", "name": "line one\r\nline two"},
        {"credit_code": "B", "name": "x, y"},
    ]
    assert [r.number for r in result] == [1, 2]


def test_csv_invalid_utf8_flags_only_that_row(tmp_path: Path) -> None:
    data = (b"credit_code,name\n"
            b"A,\xe5\x8c\x97\xe4\xba\xac\n"  # valid UTF-8 (北京)
            b"B,\xff\xfe bad\n"
            b"C,\xe5\x8c\x97\n")
    result = rows(write(tmp_path, "e.csv", data))
    assert [r.number for r in result] == [1, 2, 3]
    assert [codes(r) for r in result] == [[], ["INVALID_ENCODING"], []]
    assert result[0].values["name"] == "北京"
    assert result[1].values["credit_code"] == "B"
    assert result[2].values == {"credit_code": "C", "name": "北"}


def test_csv_truncated_multibyte_character_is_invalid_encoding(tmp_path: Path) -> None:
    # Only the first two bytes of the three-byte character 北.
    data = b"credit_code,name\nA,\xe5\x8c\n"
    result = rows(write(tmp_path, "e.csv", data))
    assert codes(result[0]) == ["INVALID_ENCODING"]


def test_csv_wrong_number_of_fields_is_malformed_row(tmp_path: Path) -> None:
    data = b"credit_code,name\nA,one\nB,two,extra\nC\nD,four\n"
    result = rows(write(tmp_path, "e.csv", data))
    assert [r.number for r in result] == [1, 2, 3, 4]
    assert [codes(r) for r in result] == [[], ["MALFORMED_ROW"], ["MALFORMED_ROW"], []]
    assert "3 fields" in result[1].errors[0].message
    assert result[3].values == {"credit_code": "D", "name": "four"}


def test_csv_oversized_field_is_malformed_row_and_reading_continues(tmp_path: Path) -> None:
    data = b"credit_code,name\nA,1\nB,\"" + b"x" * 200_000 + b"\"\nC,3\n"
    result = rows(write(tmp_path, "e.csv", data))
    assert [codes(r) for r in result] == [[], ["MALFORMED_ROW"], []]
    assert result[2].values == {"credit_code": "C", "name": "3"}


def test_csv_blank_lines_are_skipped(tmp_path: Path) -> None:
    data = b"credit_code,name\n\nA,1\n\n   \n,\nB,2\n\n"
    result = rows(write(tmp_path, "e.csv", data))
    assert [r.values["credit_code"] for r in result] == ["A", "B"]
    assert all(r.errors == [] for r in result)


def test_csv_missing_required_column_is_a_source_error(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", b"credit_code,address\nA,x\n")
    with pytest.raises(SourceError) as info:
        rows(path)
    assert info.value.code == "MISSING_COLUMN"
    assert "name" in str(info.value)
    assert "credit_code" not in str(info.value)


def test_csv_missing_columns_are_all_named(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", b"address\nx\n")
    with pytest.raises(SourceError) as info:
        rows(path)
    assert info.value.code == "MISSING_COLUMN"
    assert "credit_code" in str(info.value)
    assert "name" in str(info.value)


def test_csv_header_only_gives_no_rows(tmp_path: Path) -> None:
    assert rows(write(tmp_path, "e.csv", b"credit_code,name\n")) == []


def test_csv_row_numbers_are_one_based_data_rows(tmp_path: Path) -> None:
    body = "".join(f"C{i},n{i}\n" for i in range(1, 26))
    result = rows(write(tmp_path, "e.csv", ("credit_code,name\n" + body).encode()))
    assert [r.number for r in result] == list(range(1, 26))
    assert all(r.values["credit_code"] == f"C{r.number}" for r in result)


# --- JSON array -----------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_json_array_reads_objects_with_lower_cased_keys(tmp_path: Path, bom: bool) -> None:
    items = [{"Credit_Code": "A", "name": "甲", "lon": 108.5, "key_discharger": True},
             {"credit_code": "B", "name": "乙", "lat": 34}]
    data = (BOM if bom else b"") + json.dumps(items, ensure_ascii=False).encode()
    result = rows(write(tmp_path, "e.json", data))
    assert [r.number for r in result] == [1, 2]
    assert result[0].values == {"credit_code": "A", "name": "甲", "lon": 108.5, "key_discharger": True}
    assert result[1].values == {"credit_code": "B", "name": "乙", "lat": 34}
    assert isinstance(result[0].values["lon"], float)
    assert all(r.errors == [] for r in result)


def test_json_array_non_object_item_is_malformed_row(tmp_path: Path) -> None:
    data = b'[{"credit_code": "A"}, 5, "text", ["x"], null, {"credit_code": "B"}]'
    result = rows(write(tmp_path, "e.json", data))
    assert [r.number for r in result] == [1, 2, 3, 4, 5, 6]
    assert [codes(r) for r in result] == [[], *[["MALFORMED_ROW"]] * 4, []]
    assert result[5].values == {"credit_code": "B"}


@pytest.mark.parametrize(
    "data",
    [b'[{"credit_code": "A"}, {"credit_code": ', b'[{"credit_code": "A"}', b"", b"[{]"],
    ids=["cut-in-object", "no-closing-bracket", "empty", "garbage"],
)
def test_truncated_json_array_is_malformed_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "e.json", data)
    with pytest.raises(SourceError) as info:
        rows(path)
    assert info.value.code == "MALFORMED_FILE"


def test_truncated_json_array_yields_complete_items_first(tmp_path: Path) -> None:
    path = write(tmp_path, "e.json", b'[{"credit_code": "A"}, {"credit_code": "B"}, {"cred')
    stream = open_rows(path, REQUIRED)
    assert next(stream).values == {"credit_code": "A"}
    assert next(stream).values == {"credit_code": "B"}
    with pytest.raises(SourceError) as info:
        next(stream)
    assert info.value.code == "MALFORMED_FILE"


def test_json_file_whose_top_level_is_not_an_array_is_malformed_file(tmp_path: Path) -> None:
    # A .json upload holding a single object must not silently import zero rows.
    path = write(tmp_path, "e.json", b'{"credit_code": "A", "name": "x"}')
    with pytest.raises(SourceError) as info:
        rows(path)
    assert info.value.code == "MALFORMED_FILE"


def test_json_array_with_invalid_utf8_is_a_source_error(tmp_path: Path) -> None:
    path = write(tmp_path, "e.json", b'[{"credit_code": "A\xff"}]')
    with pytest.raises(SourceError):
        rows(path)


def test_empty_json_array_gives_no_rows(tmp_path: Path) -> None:
    assert rows(write(tmp_path, "e.json", b" [ ] ")) == []


# --- JSON lines -----------------------------------------------------------------------------


def test_json_lines_one_bad_line(tmp_path: Path) -> None:
    data = b'{"credit_code": "A"}\n{"credit_code": \n["not", "object"]\n{"CREDIT_CODE": "D"}\n'
    result = rows(write(tmp_path, "e.jsonl", data))
    assert [r.number for r in result] == [1, 2, 3, 4]
    assert [codes(r) for r in result] == [[], ["MALFORMED_ROW"], ["MALFORMED_ROW"], []]
    assert result[0].values == {"credit_code": "A"}
    assert result[3].values == {"credit_code": "D"}


def test_json_lines_blank_lines_skipped_and_bom_removed(tmp_path: Path) -> None:
    data = BOM + b'{"credit_code": "A"}\r\n\n   \n{"credit_code": "B"}'
    result = rows(write(tmp_path, "e.ndjson", data))
    assert [(r.number, r.values) for r in result] == [(1, {"credit_code": "A"}),
                                                       (2, {"credit_code": "B"})]


def test_json_lines_invalid_utf8_outside_strings_is_invalid_encoding(tmp_path: Path) -> None:
    data = b'{"credit_code": "A"}\n{"credit_code": "B"}\xff\n{"credit_code": "C"}\n'
    result = rows(write(tmp_path, "e.jsonl", data))
    assert [codes(r) for r in result] == [[], ["INVALID_ENCODING"], []]
    assert result[2].values == {"credit_code": "C"}


def test_json_lines_invalid_utf8_inside_a_string_is_invalid_encoding(tmp_path: Path) -> None:
    # Undecodable bytes must be reported, not passed on as lone surrogates.
    data = b'{"credit_code": "A"}\n{"credit_code": "B", "name": "\xff\xfe"}\n{"credit_code": "C"}\n'
    result = rows(write(tmp_path, "e.jsonl", data))
    assert [codes(r) for r in result] == [[], ["INVALID_ENCODING"], []]
    assert result[2].values == {"credit_code": "C"}


# --- format detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("e.csv", b"[", "csv"), ("E.CSV", b"{", "csv"),
        ("e.json", b"a,b", "json"), ("e.JSON", b"", "json"),
        ("e.jsonl", b"[", "jsonl"), ("e.ndjson", b"a,b", "jsonl"),
        ("upload", b"[{", "json"), ("upload", b"\n  \t[", "json"), ("upload.txt", BOM + b" [", "json"),
        ("upload", b'{"a": 1}\n', "jsonl"), ("upload", BOM + b"{", "jsonl"),
        ("upload", b"credit_code,name\n", "csv"), ("upload", b"", "csv"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


@pytest.mark.parametrize(
    ("data", "values"),
    [
        (b'  [{"credit_code": "A", "name": "x"}]', {"credit_code": "A", "name": "x"}),
        (b'{"credit_code": "A", "name": "x"}\n', {"credit_code": "A", "name": "x"}),
        (b"credit_code,name\nA,x\n", {"credit_code": "A", "name": "x"}),
    ],
    ids=["json", "jsonl", "csv"],
)
def test_open_rows_detects_by_first_bytes_without_extension(
    tmp_path: Path, data: bytes, values: dict[str, Any]
) -> None:
    (row,) = rows(write(tmp_path, "upload.dat", data))
    assert row.values == values
    assert row.number == 1


def test_open_rows_trusts_the_extension_over_content(tmp_path: Path) -> None:
    # JSON content in a .csv file is read as CSV: its header lacks the required columns.
    with pytest.raises(SourceError) as info:
        rows(write(tmp_path, "e.csv", b'[{"credit_code": "A", "name": "x"}]'))
    assert info.value.code == "MISSING_COLUMN"


def test_readers_accept_streams_directly() -> None:
    csv_rows = list(read_csv(io.BytesIO(BOM + b"credit_code,name\nA,x\n"), REQUIRED))
    json_rows = list(read_json_array(io.BytesIO(b'[{"credit_code": "A"}]')))
    line_rows = list(read_json_lines(io.BytesIO(b'{"credit_code": "A"}\n')))
    assert csv_rows[0].values == {"credit_code": "A", "name": "x"}
    assert json_rows[0].values == line_rows[0].values == {"credit_code": "A"}


# --- streaming ------------------------------------------------------------------------------

LARGE_ROWS = 200_000
FILLER = "陕西省西安市雁塔区测试路某某工业园 A 座"


def large_csv(tmp_path: Path, count: int = LARGE_ROWS, pad: int = 1) -> Path:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("credit_code,name,address\n")
        for i in range(count):
            handle.write(f"C{i:08d},企业{i},{FILLER * pad}{i}号\n")
    return path


def large_json_array(tmp_path: Path, count: int = LARGE_ROWS, pad: int = 1) -> Path:
    path = tmp_path / "large.json"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i in range(count):
            item = {"credit_code": f"C{i:08d}", "name": f"企业{i}", "address": f"{FILLER * pad}{i}号"}
            handle.write(("," if i else "") + json.dumps(item, ensure_ascii=False))
        handle.write("]")
    return path


def large_json_lines(tmp_path: Path, count: int = LARGE_ROWS, pad: int = 1) -> Path:
    path = tmp_path / "large.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            item = {"credit_code": f"C{i:08d}", "name": f"企业{i}", "address": f"{FILLER * pad}{i}号"}
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("make", [large_csv, large_json_array, large_json_lines],
                         ids=["csv", "json", "jsonl"])
def test_first_row_reads_only_the_start_of_the_file(tmp_path: Path, make: Any) -> None:
    path = make(tmp_path)
    size = path.stat().st_size
    assert size > 5_000_000

    class Tracked(TrackedPath):
        opened: list[IO[bytes]] = []

    stream = open_rows(Tracked(path), REQUIRED[:1])
    first = next(stream)
    assert first.number == 1
    assert first.values["credit_code"] == "C00000000"
    (handle,) = Tracked.opened
    # Bytes actually pulled from the OS so far (the buffered reader's raw position).
    consumed = handle.raw.tell()  # type: ignore[attr-defined]
    assert 0 < consumed <= 256 * 1024, (consumed, size)
    stream.close()
    assert handle.closed


@pytest.mark.parametrize("make", [large_csv, large_json_array, large_json_lines],
                         ids=["csv", "json", "jsonl"])
def test_iterating_a_large_file_keeps_memory_small(tmp_path: Path, make: Any) -> None:
    # Fewer, wider rows than the first-row test: tracemalloc slows per-row work a lot.
    path = make(tmp_path, 12_000, 8)
    size = path.stat().st_size
    count = 0
    last = None
    tracemalloc.start()
    try:
        for row in open_rows(path, REQUIRED[:1]):
            count += 1
            last = row.number
            assert not row.errors
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 12_000
    assert last == 12_000
    assert size > 5_000_000
    assert peak < 2_000_000, f"peak {peak} bytes while streaming a {size}-byte file"


def test_empty_csv_is_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceError) as caught:
        list(open_rows(path, ["credit_code"]))
    assert caught.value.code == "MISSING_COLUMN"
