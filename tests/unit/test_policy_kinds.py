"""Each policy kind is declared once (``core.policies.kinds``) and every registry of kinds reads that declaration."""

from __future__ import annotations

from importlib import resources

from core.policies.kinds import CASE_KINDS, KINDS, STORED_KINDS, Applies, PolicyKind
from rules import packs
from rules.model import parse
from rules.vocabulary import OUTPUTS


def test_every_kind_has_one_entry_with_outputs_and_a_pack() -> None:
    assert list(KINDS) == list(PolicyKind)
    assert all(spec.kind is kind and spec.outputs and spec.description for kind, spec in KINDS.items())
    shipped = sorted(p.name for p in resources.files(packs).iterdir() if p.name.endswith(".json"))
    assert shipped == sorted(spec.pack for spec in KINDS.values())


def test_the_registries_are_read_from_the_declaration() -> None:
    assert packs.PACKS == tuple(PolicyKind)
    assert {kind: set(outputs) for kind, outputs in OUTPUTS.items()} == {
        kind.value: set(spec.outputs) for kind, spec in KINDS.items()}
    # The kind strings are stored in policies and decisions: they never change.
    assert [kind.value for kind in PolicyKind] == ["supervision_class", "positive_list", "sampling_ratio",
                                                   "heavy_pollution_measures", "electricity_triggers",
                                                   "penalty_discretion", "alert_verification"]
    assert STORED_KINDS == (PolicyKind.SUPERVISION_CLASS, PolicyKind.POSITIVE_LIST)
    assert CASE_KINDS == {PolicyKind.PENALTY_DISCRETION}
    assert {spec.applies for spec in KINDS.values()} == set(Applies)


def test_each_pack_is_of_its_kind_and_gives_its_outputs() -> None:
    for kind, spec in KINDS.items():
        content, errors = parse(packs.load(kind))
        assert content is not None and errors == [] and content.kind == kind
        assert all(set(rule.then) == set(spec.outputs) for rule in content.rules)


def test_an_undeclared_kind_is_refused() -> None:
    content, errors = parse({"kind": "noise_limits", "hit_policy": "first",
                             "rules": [{"id": "r", "priority": 1, "when": [], "then": {}, "rationale": "x"}]})
    assert [(e.field, e.code) for e in errors] == [("kind", "UNKNOWN_KIND")]
