"""Alert level from a forecast of daily AQI (DOMAIN rule 13)."""

from __future__ import annotations

import pytest

from core.alerts.levels import Criteria, level_from_forecast


@pytest.mark.parametrize(("aqi", "level"), [
    ([150, 180, 120], "none"),
    ([210, 150, 150], "blue"),
    ([210, 220, 150], "yellow"),
    ([210, 220, 230, 150], "yellow"),  # 3 polluted days but none above 300
    ([210, 220, 310, 150], "orange"),
    ([210, 320, 310, 250], "red"),  # 4 days > 200 and 2 days > 300
    ([210, 320, 250, 150], "orange"),
    ([120, 510], "red"),  # any day at 500 or more
])
def test_levels(aqi: list[float], level: str) -> None:
    assert level_from_forecast(aqi) == level


def test_criteria_are_parameters() -> None:
    stricter = Criteria(high=150, blue_days=1)
    assert level_from_forecast([160, 100], stricter) == "blue"
    assert level_from_forecast([160, 100]) == "none"
