"""Which jurisdiction's policy applies: the most specific one that covers the enterprise, else the province's."""

from __future__ import annotations

import pytest

from core.policies.scope import applicable, is_city


@pytest.mark.parametrize(("found", "jurisdiction", "expected"), [
    ({"610000": "province", "610100": "xian"}, "610100", "xian"),
    ({"610000": "province", "610100": "xian"}, "610300", "province"),
    ({"610000": "province"}, "610100", "province"),
    ({"610100": "xian"}, "610300", None),
    ({}, "610100", None),
    ({"610000": "province", "610100": "xian"}, "999999", "province"),  # unknown division: the province's
])
def test_applicable(found: dict[str, str], jurisdiction: str, expected: str | None) -> None:
    assert applicable(found, jurisdiction) == expected


@pytest.mark.parametrize(("code", "city"), [("610100", True), ("610581", True), ("610000", False),
                                            ("999999", False)])
def test_is_city(code: str, city: bool) -> None:
    assert is_city(code) is city
