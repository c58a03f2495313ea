"""The sector vocabulary covers every industry code, including the sectors the positive-list seed adds."""

from __future__ import annotations

from datetime import date

import pytest

from core.policies.facts import enterprise_facts
from core.reference import tables
from rules.vocabulary import FACTS, SECTORS


def test_every_industry_has_a_sector_of_the_vocabulary() -> None:
    assert sorted({i.sector for i in tables.industries().values()} - set(SECTORS)) == []
    assert FACTS["sector"].values == SECTORS


@pytest.mark.parametrize(("code", "sector"), [
    ("0111", "crop_farming"), ("0141", "crop_farming"), ("0311", "livestock"), ("0321", "livestock"),
    ("4413", "clean_energy"), ("4415", "clean_energy"), ("4416", "clean_energy"),
    ("3973", "integrated_circuits"), ("2720", "biomedicine"), ("2762", "biomedicine"),
    ("3481", "key_components"), ("3985", "special_materials"),
    ("2710", "pharmaceutical"),  # 化学药品原料药制造: chemical synthesis stays outside biomedicine
])
def test_seed_sectors_come_from_the_industry_code(code: str, sector: str) -> None:
    doc = {"credit_code": "X", "industry_code": code}
    assert enterprise_facts(doc, day=date(2026, 1, 1))["sector"] == sector
