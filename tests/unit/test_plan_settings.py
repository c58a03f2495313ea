"""Plan settings: defaults per class are kept when a plan names only some classes."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from core.inspections.models import PlanSettings

BASE = {"name": "p", "jurisdiction": "610100", "matters": ["M"], "period_start": date(2027, 1, 1),
        "period_end": date(2027, 3, 31)}


def test_naming_one_ratio_keeps_the_other_defaults() -> None:
    settings = PlanSettings.model_validate({**BASE, "ratios": {"general": 0.3}, "tier_weights": {"red": 5}})
    assert {k.value: v for k, v in settings.ratios.items()} == {"special": 1.0, "key": 0.25, "general": 0.3}
    assert settings.tier_weights["red"] == 5 and settings.tier_weights["green"] == 0.5


@pytest.mark.parametrize("change", [{"ratios": {"key": -0.1}}, {"ratios": {"vip": 0.5}}, {"tier_weights": {"red": 0}},
                                    {"tier_weights": {"purple": 1}}, {"team_size": 1}, {"matters": []}])
def test_bad_settings_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PlanSettings.model_validate({**BASE, **change})
