"""Class, weight and ratio of each enterprise in a plan's population, from the active policies."""

from __future__ import annotations

from typing import Any

from core.inspections.classes import Classifier
from core.inspections.models import Plan
from core.inspections.ports import ClassifierFactory
from core.policies.facts import enterprise_facts
from core.policies.kinds import PolicyKind
from core.policies.service import PolicyService
from core.reference import tables
from rules.policy_engine import compiled


def policy_classifier_factory(service: PolicyService) -> ClassifierFactory:
    """For ``DrawService``: the supervision_class and sampling_ratio policies in force on the plan's start."""

    async def factory(plan: Plan) -> Classifier:
        root = tables.root_code()
        class_version = await service.in_force(f"{PolicyKind.SUPERVISION_CLASS}:{root}", plan.period_start)
        ratio_version = await service.in_force(f"{PolicyKind.SAMPLING_RATIO}:{root}", plan.period_start)
        if class_version is None or ratio_version is None:
            raise RuntimeError("the supervision_class and sampling_ratio policies have no version in force")
        class_policy, ratio_policy = compiled(class_version), compiled(ratio_version)

        def classify(doc: dict[str, Any], visited: bool) -> tuple[str, float, float]:
            facts = enterprise_facts(doc, day=plan.period_start, history=doc.get("history"))
            facts["supervision_class"] = class_policy.evaluate(facts).outputs["class"]
            decided = ratio_policy.evaluate(facts).outputs
            # Strata are (class, ratio) so that a policy may give one class several ratios.
            stratum = f"{facts['supervision_class']}@{decided['ratio']:g}"
            weight = decided["weight"] * (1.0 if visited else plan.cycle_boost)
            return stratum, round(weight, 6), float(decided["ratio"])

        return classify

    return factory
