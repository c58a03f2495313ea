"""docs/policies.md names every fact, operator, output kind and default rule the code defines."""

from __future__ import annotations

from pathlib import Path

from rules import packs
from rules.vocabulary import FACTS, OPERATORS, OUTPUTS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text(encoding="utf-8")


def test_vocabulary_is_documented() -> None:
    missing = [name for name in [*FACTS, *OPERATORS, *OUTPUTS] if f"`{name}`" not in DOC]
    assert missing == []


def test_default_rules_are_documented() -> None:
    missing = [rule["id"] for kind in packs.PACKS for rule in packs.load(kind)["rules"] if f"`{rule['id']}`" not in DOC]
    assert missing == []
