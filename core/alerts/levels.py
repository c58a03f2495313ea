"""The alert level from a forecast AQI series (DOMAIN rule 13; MEE 2017 criteria, parameters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LEVELS = ("none", "blue", "yellow", "orange", "red")


@dataclass(frozen=True)
class Criteria:
    high: float = 200  # AQI above this counts as a polluted day
    severe: float = 300
    extreme: float = 500
    red_days: int = 4
    red_severe_days: int = 2
    orange_days: int = 3
    orange_severe_days: int = 1
    yellow_days: int = 2
    blue_days: int = 1


def level_from_forecast(daily_aqi: Sequence[float], criteria: Criteria = Criteria()) -> str:
    """Highest level whose condition holds over the forecast of daily (24-hour rolling mean) AQI."""
    high = sum(1 for value in daily_aqi if value > criteria.high)
    severe = sum(1 for value in daily_aqi if value > criteria.severe)
    if (high >= criteria.red_days and severe >= criteria.red_severe_days) or any(
            value >= criteria.extreme for value in daily_aqi):
        return "red"
    if high >= criteria.orange_days and severe >= criteria.orange_severe_days:
        return "orange"
    if high >= criteria.yellow_days:
        return "yellow"
    if high >= criteria.blue_days:
        return "blue"
    return "none"
