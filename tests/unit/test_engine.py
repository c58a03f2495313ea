"""The durable_rules engine against a pure-Python reference evaluator, and policy validation."""

from __future__ import annotations

import random
from typing import Any

import pytest
from reference_policy import evaluate as reference

from rules import packs
from rules.analysis import analyse
from rules.engine import Engine, EngineError
from rules.model import PolicyContent, parse
from rules.vocabulary import FACTS, FactType

ENGINE = Engine()


def random_facts(rng: random.Random, names: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in names:
        spec = FACTS[name]
        if spec.type is FactType.ENUM:
            facts[name] = rng.choice(spec.values)
        elif spec.type is FactType.BOOL:
            facts[name] = rng.random() < 0.5
        else:
            facts[name] = rng.choice([0, 0, 0, 1, 2, 3, 4, rng.randint(0, 50)])
    return facts


def test_default_supervision_pack_is_valid() -> None:
    content, errors = parse(packs.load("supervision_class"))
    assert errors == [] and content is not None
    compiled = ENGINE.load("supervision_class_test_v1", content)
    facts = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "red", "emergency_risk": "none",
             "verified_complaints_12m": 0, "key_discharger": True}
    decision = compiled.evaluate(facts)
    assert decision.outputs == {"class": "special"}
    assert decision.applied == ("special_credit",)
    assert decision.fired == ("special_credit", "key_discharger", "general_otherwise")  # every rule that held
    assert compiled.evaluate({**facts, "credit_tier": "green"}).outputs == {"class": "key"}
    assert compiled.evaluate({**facts, "credit_tier": "green", "key_discharger": False}).applied == (
        "general_otherwise",)


def test_engine_agrees_with_reference_on_100k_random_fact_sets() -> None:
    content, errors = parse(packs.load("supervision_class"))
    assert content is not None and errors == []
    collect = PolicyContent.model_validate({**content.model_dump(mode="json"), "hit_policy": "collect"})
    rng = random.Random(20261128)
    for name, policy in (("diff_first_v1", content), ("diff_collect_v1", collect)):
        compiled = ENGINE.load(name, policy)
        for _ in range(50_000):
            facts = random_facts(rng, compiled.facts)
            decision = compiled.evaluate(facts, reuse=False)
            expected_outputs, expected_applied = reference(policy, facts)
            assert (decision.outputs, decision.applied) == (expected_outputs, expected_applied), facts


def test_signature_reuse_gives_the_same_decisions() -> None:
    content, _ = parse(packs.load("supervision_class"))
    assert content is not None
    compiled = ENGINE.load("reuse_v1", content)
    rng = random.Random(7)
    for _ in range(5_000):
        facts = random_facts(rng, compiled.facts)
        assert compiled.evaluate(facts) == compiled.evaluate(facts, reuse=False)


def test_facts_are_checked_before_the_engine() -> None:
    content, _ = parse(packs.load("supervision_class"))
    assert content is not None
    compiled = ENGINE.load("check_v1", content)
    good = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "red", "emergency_risk": "none",
            "verified_complaints_12m": 0, "key_discharger": True}
    assert compiled.evaluate(good).outputs == {"class": "special"}  # cached now: bad look-alikes must still fail
    for bad in ({**good, "penalties_12m": "10"}, {**good, "key_discharger": 1}, {**good, "credit_tier": "purple"},
                {**good, "supervised_case": 0}):
        with pytest.raises(EngineError):
            compiled.evaluate(bad)
    missing = dict(good)
    del missing["credit_tier"]
    with pytest.raises(EngineError, match="credit_tier is missing"):
        compiled.evaluate(missing)


@pytest.mark.parametrize(("rule", "field", "code"), [
    ({"when": [{"fact": "colour", "op": "eq", "value": "x"}]}, "rules.r.when.0.fact", "UNKNOWN_FACT"),
    ({"when": [{"fact": "credit_tier", "op": "like", "value": "re%"}]}, "rules.r.when.0.op", "UNKNOWN_OPERATOR"),
    ({"when": [{"fact": "credit_tier", "op": "eq", "value": "purple"}]}, "rules.r.when.0.value", "UNKNOWN_VALUE"),
    ({"when": [{"fact": "credit_tier", "op": "gt", "value": 3}]}, "rules.r.when.0.op", "TYPE_MISMATCH"),
    ({"when": [{"fact": "penalties_12m", "op": "gte", "value": "1"}]}, "rules.r.when.0.value", "TYPE_MISMATCH"),
    ({"then": {"class": "vip"}}, "rules.r.then.class", "INVALID_OUTPUT"),
    ({"then": {"colour": "x", "class": "key"}}, "rules.r.then.colour", "UNKNOWN_OUTPUT"),
    ({"then": {}}, "rules.r.then", "MISSING_OUTPUT"),
])
def test_bad_rules_get_coded_errors_naming_rule_and_field(rule: dict[str, Any], field: str, code: str) -> None:
    document = {"kind": "supervision_class", "rules": [
        {"id": "r", "when": [], "then": {"class": "general"}, "rationale": "test", **rule}]}
    _, errors = parse(document)
    assert [(e.field, e.code) for e in errors] == [(field, code)]


def test_malformed_documents() -> None:
    assert parse({"kind": "supervision_class", "rules": []})[1][0].code == "MALFORMED_POLICY"
    assert parse({"kind": "unknown_kind", "rules": [{"id": "r", "then": {}, "rationale": "x"}]})[1][0].code == \
        "UNKNOWN_KIND"


def _policy(rules: list[dict[str, Any]], hit: str = "first") -> PolicyContent:
    return PolicyContent.model_validate({"kind": "supervision_class", "hit_policy": hit, "rules": [
        {"rationale": "test", **rule} for rule in rules]})


@pytest.mark.parametrize("kind", packs.PACKS)
def test_default_packs_are_valid_complete_and_compile(kind: str) -> None:
    content, errors = parse(packs.load(kind))
    assert content is not None and errors == []
    assert analyse(content) == []  # no gap, conflict or dead rule
    ENGINE.load(f"pack_{kind}_v1", content)


def test_heavy_pollution_measures_by_grade_and_level() -> None:
    content, _ = parse(packs.load("heavy_pollution_measures"))
    assert content is not None
    compiled = ENGINE.load("hp_cases_v1", content)
    base = {"alert_level": "orange", "guarantee_valid": False, "performance_grade": "C", "performance_leading": False,
            "sector": "chemical", "on_positive_list": False}
    assert compiled.evaluate(base).outputs == {"measure": "halt", "reduction_pct": 100}
    # Positive-list members may take no, or fewer, emergency reduction measures (可不采取或少采取).
    assert compiled.evaluate({**base, "on_positive_list": True}).outputs == {"measure": "self_determined",
                                                                             "reduction_pct": 0}
    assert compiled.evaluate({**base, "guarantee_valid": True}).outputs["measure"] == "self_determined"
    assert compiled.evaluate({**base, "performance_grade": "A"}).outputs == {"measure": "self_determined",
                                                                            "reduction_pct": 0}
    assert compiled.evaluate({**base, "performance_grade": "B"}).outputs == {"measure": "reduce", "reduction_pct": 20}
    assert compiled.evaluate({**base, "alert_level": "none"}).outputs == {"measure": "none", "reduction_pct": 0}
    # Sector tables: a B-grade cement plant cuts more at orange than the general B rule.
    cement_b = {**base, "sector": "cement", "performance_grade": "B"}
    assert compiled.evaluate(cement_b).outputs == {"measure": "reduce", "reduction_pct": 50}
    assert compiled.evaluate({**cement_b, "alert_level": "yellow"}).outputs == {"measure": "reduce",
                                                                                "reduction_pct": 10}
    assert compiled.evaluate({**base, "sector": "bricks", "alert_level": "blue"}).outputs["measure"] == "halt"


def test_analysis_finds_gaps_conflicts_and_dead_rules() -> None:
    gap = _policy([{"id": "red", "when": [{"fact": "credit_tier", "op": "eq", "value": "red"}],
                    "then": {"class": "special"}}])
    assert [e.code for e in analyse(gap)] == ["GAP"]
    conflict = _policy([
        {"id": "a", "priority": 1, "when": [{"fact": "penalties_12m", "op": "gte", "value": 1}],
         "then": {"class": "special"}},
        {"id": "b", "priority": 1, "when": [{"fact": "penalties_12m", "op": "gte", "value": 3}],
         "then": {"class": "key"}},
        {"id": "rest", "priority": 9, "when": [], "then": {"class": "general"}}], hit="priority")
    found = analyse(conflict)
    # b ties with a and disagrees; a always wins the tie, so b also never decides anything.
    assert [(e.field, e.code) for e in found] == [("rules.b", "CONFLICT"), ("rules.b", "DEAD_RULE")]
    dead = _policy([
        {"id": "all", "priority": 1, "when": [], "then": {"class": "general"}},
        {"id": "never", "priority": 2, "when": [{"fact": "key_discharger", "op": "eq", "value": True}],
         "then": {"class": "key"}}])
    assert [(e.field, e.code) for e in analyse(dead)] == [("rules.never", "DEAD_RULE")]


@pytest.mark.parametrize("facts_used", [0, 1])
def test_policies_with_no_or_one_fact_evaluate(facts_used: int) -> None:
    when = [{"fact": "key_discharger", "op": "eq", "value": True}] if facts_used else []
    rules = [{"id": "only", "priority": 1, "when": when, "then": {"class": "key"}}]
    if facts_used:
        rules.append({"id": "rest", "priority": 2, "when": [], "then": {"class": "general"}})
    compiled = ENGINE.load(f"tiny_{facts_used}_v1", _policy(rules))
    assert compiled.evaluate({"key_discharger": True}).outputs == {"class": "key"}
    assert compiled.evaluate({"key_discharger": False}).outputs == {"class": "key" if not facts_used else "general"}
