"""Default policy packs, shipped as JSON and loaded as first versions: one per policy kind (``core.policies.kinds``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from core.policies.kinds import KINDS, PolicyKind

PACKS = tuple(KINDS)


def load(kind: str) -> dict[str, Any]:
    pack = KINDS[PolicyKind(kind)].pack
    return dict(json.loads(resources.files(__package__).joinpath(pack).read_text(encoding="utf-8")))
