"""Unit tests for meter-reading parsing: the column-wise fast path against the per-row path, and take()."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import FieldError
from core.nonsite.readings import Columns, RowError, Times, parse, parse_columns, take
from core.registry.sources import SourceRow

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
DAY = "2024-06-09"


def stamp(minute: int, day: str = DAY, offset: str = "Z") -> str:
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00{offset}"


def per_row(values: list[dict[str, Any]], numbers: list[int]) -> list[Any]:
    times = Times(NOW)
    return [parse(SourceRow(n, v), times) for n, v in zip(numbers, values, strict=True)]


def csv_kw(n: int) -> dict[str, Any]:  # as read_csv gives them: strings, an empty cell for an absent value
    return {"meter": f"M{n % 3}", "timestamp": stamp(15 * n), "kw": f"{n * 1.5}", "kwh": ""}


UNIFORM: dict[str, list[dict[str, Any]]] = {
    "csv-kw-only": [csv_kw(n) for n in range(12)],
    "csv-kw-no-kwh-column": [{"meter": f" M{n % 4} ", "timestamp": stamp(7 * n, offset="+08:00"), "kw": str(n)}
                             for n in range(10)],
    "json-floats-kw": [{"meter": "M1", "timestamp": stamp(n, day=f"2024-06-0{1 + n % 3}"), "kw": n / 4}
                       for n in range(9)],
    "json-kw-and-kwh": [{"meter": f"M{n % 2}", "timestamp": stamp(15 * n), "kw": n, "kwh": 1000.0 + n * 2.5}
                        for n in range(8)],
    "csv-kwh-only": [{"meter": "M9", "timestamp": stamp(15 * n), "kw": "", "kwh": f"{10 + n}.25"} for n in range(6)],
    "csv-kw-and-kwh": [{"meter": "M2", "timestamp": f"{DAY}T03:{n:02d}:42.5+01:00", "kw": "0", "kwh": "1e3"}
                       for n in range(5)],
}


@pytest.mark.parametrize("name", list(UNIFORM))
def test_columns_give_the_same_readings_as_rows(name: str) -> None:
    values = UNIFORM[name]
    numbers = [10 + 2 * n for n in range(len(values))]  # any numbers: they are carried through as given
    columns = parse_columns(values, Times(NOW))
    assert columns is not None, f"a uniform chunk ({name}) should take the column path"
    fast = columns.readings(numbers)
    slow = per_row(values, numbers)
    assert all(r.__class__ is tuple for r in slow), slow
    assert len(fast) == len(slow)
    for got, want in zip(fast, slow, strict=True):
        assert got == want
        assert [type(v) for v in got] == [type(v) for v in want]  # floats stay floats, Nones stay Nones


def test_column_readings_are_converted_to_utc_minutes() -> None:
    values = [{"meter": " M1 ", "timestamp": "2024-06-09T07:30:59+08:00", "kw": "2.5"},
              {"meter": "M2", "timestamp": "2024-06-09T00:00:00Z", "kw": 3, "kwh": ""}]
    columns = parse_columns(values, Times(NOW))
    assert columns == Columns(["M1", "M2"], [datetime(2024, 6, 8, 23, 30, tzinfo=UTC), datetime(2024, 6, 9, tzinfo=UTC)],
                              ["2024-06-08", "2024-06-09"], ["1410", "0"], [2.5, 3.0], [None, None])
    assert columns.readings([4, 5])[0] == (4, "M1", datetime(2024, 6, 8, 23, 30, tzinfo=UTC), "2024-06-08", "1410",
                                           2.5, None)


def test_a_timestamp_within_the_tolerance_is_accepted_by_both_paths() -> None:
    ahead = (NOW + timedelta(minutes=4)).isoformat()
    values = [{"meter": "M1", "timestamp": ahead, "kw": "1"}] * 2
    columns = parse_columns(values, Times(NOW))
    assert columns is not None and columns.readings([1, 2]) == per_row(values, [1, 2])


def good(n: int) -> dict[str, Any]:
    return {"meter": "M1", "timestamp": stamp(15 * n), "kw": "5", "kwh": f"{100 + n}"}


FUTURE = (NOW + timedelta(minutes=6)).isoformat()
# (case, the odd row, the per-row result: an error (field, code) or None for a valid reading)
ODD: list[tuple[str, dict[str, Any], tuple[str, str] | None]] = [
    ("meter_id-not-meter", {"meter_id": "M7", "timestamp": stamp(600), "kw": "5", "kwh": "200"}, None),
    ("empty-meter", {"meter": "", "timestamp": stamp(600), "kw": "5", "kwh": "200"}, ("meter", "REQUIRED")),
    ("blank-meter", {"meter": "   ", "timestamp": stamp(600), "kw": "5", "kwh": "200"}, ("meter", "REQUIRED")),
    ("null-meter", {"meter": None, "timestamp": stamp(600), "kw": "5", "kwh": "200"}, ("meter", "REQUIRED")),
    ("bool-kw-true", {"meter": "M1", "timestamp": stamp(600), "kw": True, "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("bool-kw-false", {"meter": "M1", "timestamp": stamp(600), "kw": False, "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("negative-kw", {"meter": "M1", "timestamp": stamp(600), "kw": "-1", "kwh": "200"}, ("kw", "NEGATIVE_VALUE")),
    ("negative-kw-float", {"meter": "M1", "timestamp": stamp(600), "kw": -0.5, "kwh": "200"},
     ("kw", "NEGATIVE_VALUE")),
    ("negative-kwh", {"meter": "M1", "timestamp": stamp(600), "kw": "5", "kwh": "-200"}, ("kwh", "NEGATIVE_VALUE")),
    ("nan-string", {"meter": "M1", "timestamp": stamp(600), "kw": "nan", "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("underscore-kw", {"meter": "M1", "timestamp": stamp(600), "kw": "1_000"}, ("kw", "INVALID_NUMBER")),
    ("underscore-kwh", {"meter": "M1", "timestamp": stamp(600), "kwh": "2_00"}, ("kwh", "INVALID_NUMBER")),
    ("inf-string", {"meter": "M1", "timestamp": stamp(600), "kw": "inf", "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("minus-inf-string", {"meter": "M1", "timestamp": stamp(600), "kw": "-inf", "kwh": "200"},
     ("kw", "INVALID_NUMBER")),
    ("nan-float", {"meter": "M1", "timestamp": stamp(600), "kw": math.nan, "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("inf-float", {"meter": "M1", "timestamp": stamp(600), "kw": math.inf, "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("overflow-string", {"meter": "M1", "timestamp": stamp(600), "kw": "5", "kwh": "1e400"},
     ("kwh", "INVALID_NUMBER")),
    ("non-numeric-kw", {"meter": "M1", "timestamp": stamp(600), "kw": "abc", "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("decimal-comma-kw", {"meter": "M1", "timestamp": stamp(600), "kw": "1,5", "kwh": "200"},
     ("kw", "INVALID_NUMBER")),
    ("list-kw", {"meter": "M1", "timestamp": stamp(600), "kw": [1], "kwh": "200"}, ("kw", "INVALID_NUMBER")),
    ("kw-absent-here", {"meter": "M1", "timestamp": stamp(600), "kw": "", "kwh": "200"}, None),
    ("kw-key-missing", {"meter": "M1", "timestamp": stamp(600), "kwh": "200"}, None),
    ("neither-kw-nor-kwh", {"meter": "M1", "timestamp": stamp(600), "kw": "", "kwh": ""}, ("kw", "REQUIRED")),
    ("invalid-timestamp", {"meter": "M1", "timestamp": "yesterday", "kw": "5", "kwh": "200"},
     ("timestamp", "INVALID_TIMESTAMP")),
    ("empty-timestamp", {"meter": "M1", "timestamp": "", "kw": "5", "kwh": "200"},
     ("timestamp", "INVALID_TIMESTAMP")),
    ("numeric-timestamp", {"meter": "M1", "timestamp": 1717900000, "kw": "5", "kwh": "200"},
     ("timestamp", "INVALID_TIMESTAMP")),
    ("no-offset", {"meter": "M1", "timestamp": f"{DAY}T10:00:00", "kw": "5", "kwh": "200"},
     ("timestamp", "INVALID_TIMESTAMP")),
    ("future", {"meter": "M1", "timestamp": FUTURE, "kw": "5", "kwh": "200"}, ("timestamp", "IN_FUTURE")),
    ("at-not-timestamp", {"meter": "M1", "at": stamp(600), "kw": "5", "kwh": "200"}, None),
]


@pytest.mark.parametrize(("odd", "expected"), [(o, e) for _, o, e in ODD], ids=[c for c, _, _ in ODD])
@pytest.mark.parametrize("position", [0, 2, 4])
def test_an_unusual_row_sends_the_chunk_to_the_per_row_path(odd: dict[str, Any], expected: tuple[str, str] | None,
                                                            position: int) -> None:
    values = [good(n) for n in range(5)]
    values[position] = odd
    numbers = list(range(21, 26))
    assert parse_columns(values, Times(NOW)) is None
    results = per_row(values, numbers)
    for n, result in enumerate(results):
        if n != position:
            assert result == (21 + n, "M1", datetime(2024, 6, 9, tzinfo=UTC) + timedelta(minutes=15 * n), DAY,
                              str(15 * n), 5.0, 100.0 + n)
    result = results[position]
    if expected is None:
        assert result.__class__ is tuple and result[0] == 21 + position and result[3] == DAY, result
        assert result[1] in ("M1", "M7") and result[4] == "600"
    else:
        assert isinstance(result, RowError), result
        assert (result.row, result.field, result.code) == (21 + position, *expected)
        assert result.message


def test_a_chunk_without_any_value_column_is_refused_row_by_row() -> None:
    values = [{"meter": "M1", "timestamp": stamp(15 * n)} for n in range(4)]
    assert parse_columns(values, Times(NOW)) is None
    assert [(e.row, e.field, e.code) for e in per_row(values, [1, 2, 3, 4])] == [(n, "kw", "REQUIRED")
                                                                                for n in (1, 2, 3, 4)]


def test_a_reader_error_is_the_rows_error() -> None:
    row = SourceRow(7, {"meter": "M1", "timestamp": stamp(0), "kw": "1"},
                    [FieldError("", "row is not valid UTF-8", "INVALID_ENCODING"),
                     FieldError("x", "second", "MALFORMED_ROW")])
    assert parse(row, Times(NOW)) == RowError(7, "", "INVALID_ENCODING", "row is not valid UTF-8")


def overflowing(values: dict[str, Any]) -> tuple[Any, Any]:
    """The per-row and column results for one row, an exception standing for its result."""
    outcomes: list[Any] = []
    for run in (lambda: parse(SourceRow(1, values), Times(NOW)), lambda: parse_columns([values], Times(NOW))):
        try:
            outcomes.append(run())
        except Exception as exc:  # the exception is the observed outcome
            outcomes.append(exc)
    return outcomes[0], outcomes[1]


def test_an_integer_too_large_for_a_float_is_an_invalid_number() -> None:
    # json.loads (read_json_lines) gives a Python int for a long integer literal
    row, columns = overflowing({"meter": "M1", "timestamp": stamp(0), "kw": 10 ** 400})
    assert isinstance(row, RowError) and row.code == "INVALID_NUMBER" and columns is None, (
        "REGRESSION (found and fixed 2026-11-29) core/nonsite/readings.py parse/_number/_column: a JSON kw of 10**400 should give INVALID_NUMBER "
        f"(and parse_columns None); float() raises OverflowError, which is not caught: got {row!r} / {columns!r}")


def test_a_timestamp_out_of_the_datetime_range_is_an_invalid_timestamp() -> None:
    row, columns = overflowing({"meter": "M1", "timestamp": "0001-01-01T00:30:00+01:00", "kw": "1"})
    assert isinstance(row, RowError) and row.code == "INVALID_TIMESTAMP" and columns is None, (
        "REGRESSION (found and fixed 2026-11-29) core/nonsite/readings.py Times._parse: '0001-01-01T00:30:00+01:00' should give INVALID_TIMESTAMP; "
        f"astimezone(UTC) raises OverflowError, which is not caught: got {row!r} / {columns!r}")


# -- take ----------------------------------------------------------------------------------------------------------


def test_take_keeps_numbers_values_and_reader_errors_by_position() -> None:
    bad = [FieldError("", "row has 4 fields, the header has 3", "MALFORMED_ROW")]
    source_rows = [SourceRow(n, {"meter": f"M{n}"}, bad if n in (3, 5, 7) else []) for n in range(1, 8)]
    source = iter(source_rows)
    first = take(source, 3)
    assert first == ([1, 2, 3], [{"meter": "M1"}, {"meter": "M2"}, {"meter": "M3"}], {2: bad})
    second = take(source, 3)
    assert second == ([4, 5, 6], [{"meter": "M4"}, {"meter": "M5"}, {"meter": "M6"}], {1: bad})
    assert take(source, 3) == ([7], [{"meter": "M7"}], {0: bad})  # fewer rows at the end of the source
    assert take(source, 3) == ([], [], {})
    assert second[1][0] is source_rows[3].values  # the values themselves, not copies


def test_take_reads_no_more_than_asked() -> None:
    source = iter([SourceRow(n, {"n": n}) for n in range(1, 6)])
    assert take(source, 2)[0] == [1, 2]
    assert [row.number for row in source] == [3, 4, 5]
