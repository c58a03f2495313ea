"""Policy-wide parameters: the sampling_ratio pack declares its minimum ratios; versions are checked against them."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from core.policies import parameters
from rules import packs
from rules.model import PolicyContent, parse


def test_the_default_pack_states_every_parameter_with_its_declared_default() -> None:
    document = packs.load("sampling_ratio")
    declared = parameters.declared("sampling_ratio")
    assert document["parameters"] == {name: spec.default for name, spec in declared.items()}
    assert document["parameters"]["minimum_ratio_key"] > 0.01  # the walkthrough's 0.01 is below the floor
    assert all(spec.source.startswith("DOMAIN rule") for spec in declared.values())
    assert parse(document)[1] == []


def test_a_version_without_parameters_gets_the_defaults_and_keeps_its_hash() -> None:
    document = copy.deepcopy(packs.load("sampling_ratio"))
    del document["parameters"]
    content = PolicyContent.model_validate(document)
    before_the_field = {k: v for k, v in content.model_dump(mode="json").items() if k != "parameters"}
    assert content.content_hash() == hashlib.sha256(
        json.dumps(before_the_field, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    with_them = PolicyContent.model_validate({**document, "parameters": {"cycle_years": 2}})
    assert with_them.content_hash() != content.content_hash()
    assert parameters.values("sampling_ratio", document) == {
        name: spec.default for name, spec in parameters.declared("sampling_ratio").items()}
    assert parameters.values("sampling_ratio", {**document, "parameters": {"minimum_ratio_key": 0.25}})[
        "minimum_ratio_key"] == 0.25
    assert parameters.values("supervision_class", packs.load("supervision_class")) == {}


@pytest.mark.parametrize(("given", "code"), [
    ({"minimum_ratio_key": 1.5}, "INVALID_OUTPUT"),
    ({"minimum_ratio_key": "0.25"}, "INVALID_OUTPUT"),
    ({"visit_cap_counts_targeted": 1}, "INVALID_OUTPUT"),
    ({"cycle_years": 0}, "INVALID_OUTPUT"),
    ({"minimum_ratio_vip": 0.5}, "UNKNOWN_OUTPUT"),
])
def test_bad_parameters_are_refused_with_a_code(given: dict[str, object], code: str) -> None:
    document = {**packs.load("sampling_ratio"), "parameters": given}
    errors = parse(document)[1]
    assert [(e.field, e.code) for e in errors] == [(f"parameters.{next(iter(given))}", code)]


def test_other_kinds_have_no_parameters() -> None:
    document = {**packs.load("supervision_class"), "parameters": {"minimum_ratio_key": 0.25}}
    assert [e.code for e in parse(document)[1]] == ["UNKNOWN_OUTPUT"]
