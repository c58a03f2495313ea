"""Every evidence kind is declared with its MIME types, its default limit and its setting, and the setting takes effect."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.evidence import media
from core.evidence.upload import limits_from


@pytest.mark.parametrize("kind", list(media.EvidenceKind))
def test_each_kind_has_mime_types_a_default_limit_and_a_setting(kind: media.EvidenceKind) -> None:
    assert media.ACCEPTED_MIME[kind]
    assert media.DEFAULT_LIMITS.max_bytes(kind) > 0
    assert f"evidence_max_{kind.value}_mb" in Settings.model_fields


@pytest.mark.parametrize("kind", list(media.EvidenceKind))
def test_the_setting_of_a_kind_is_its_limit(kind: media.EvidenceKind) -> None:
    limits = limits_from(Settings(**{f"evidence_max_{kind.value}_mb": 3}))
    assert limits.max_bytes(kind) == 3 * media.MiB
    others = [k for k in media.EvidenceKind if k is not kind]
    assert all(limits.max_bytes(k) == getattr(Settings(), f"evidence_max_{k.value}_mb") * media.MiB for k in others)
