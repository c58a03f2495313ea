"""What a stored JSON value may hold, and how legacy values are made encodable on the way out."""

from __future__ import annotations

import json

import pytest

from core.jsonsafe import find_unsafe, sanitise_for_output


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": float("nan")}, "$.a"),
        ({"a": [1, float("inf")]}, "$.a[1]"),
        ({"a": -float("inf")}, "$.a"),
        ({"a": 2**63}, "$.a"),
        ({"a": -(2**63) - 1}, "$.a"),
        ({"a": "x\ud800"}, "$.a"),
        ({"\udfff": 1}, "$"),
        ({"a": object()}, "$.a"),
    ],
)
def test_unstorable_values_are_found_with_their_path(value: object, where: str) -> None:
    problem = find_unsafe(value)
    assert problem is not None and problem.startswith(where + ":")


@pytest.mark.parametrize("value", [None, True, 0, 2**63 - 1, -(2**63), 1.5, "水质", {"a": [{"b": None}]}, []])
def test_storable_values_pass(value: object) -> None:
    assert find_unsafe(value) is None


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    value: object = 1
    for _ in range(5000):
        value = [value]
    assert "nested deeper" in (find_unsafe(value) or "")


def test_sanitised_output_always_encodes() -> None:
    legacy = {"ph": float("nan"), "n": 2**70, "s": "a\ud800b", "l": [float("-inf")]}
    clean = sanitise_for_output(legacy)
    assert clean == {"ph": None, "n": str(2**70), "s": "a\ufffdb", "l": [None]}
    json.dumps(clean, allow_nan=False).encode("utf-8")
