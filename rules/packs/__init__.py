"""Default policy packs, shipped as JSON and loaded as first versions."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

PACKS = ("supervision_class", "positive_list", "sampling_ratio", "heavy_pollution_measures", "electricity_triggers",
         "penalty_discretion")


def load(kind: str) -> dict[str, Any]:
    return dict(json.loads(resources.files(__package__).joinpath(f"{kind}.json").read_text(encoding="utf-8")))
