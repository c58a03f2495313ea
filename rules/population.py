"""Class, weight and ratio of each enterprise in a plan's population, from the policies in force on its start.

The class always comes from the supervision_class policy (never from code); the ratio and weight from the
sampling_ratio policy when the plan says ``ratio_source="policy"``, else from the plan's own settings.
"""

from __future__ import annotations

from typing import Any

from core.inspections.classes import Classifier, plan_classifier
from core.inspections.models import Plan
from core.inspections.ports import ClassifierFactory
from core.policies.facts import enterprise_facts
from core.policies.kinds import PolicyKind
from core.policies.scope import applicable
from core.policies.service import PolicyService
from core.reference import tables


def policy_classifier_factory(service: PolicyService) -> ClassifierFactory:
    """For ``DrawService``: the supervision_class (and sampling_ratio) policies in force on the plan's start."""

    async def factory(plan: Plan) -> Classifier:
        day = plan.period_start
        # By jurisdiction: an enterprise's city's own policy where one is in force, else the province's.
        class_policies = await service.rules_by_jurisdiction(PolicyKind.SUPERVISION_CLASS, day)
        ratio_policies = await service.rules_by_jurisdiction(PolicyKind.SAMPLING_RATIO, day)
        if not class_policies and plan.ratio_source == "plan":
            # Only where the default packs were never installed (the app and the CLI install them first).
            return plan_classifier(plan, day)
        if tables.root_code() not in class_policies or tables.root_code() not in ratio_policies:
            raise RuntimeError("the supervision_class and sampling_ratio policies have no version in force")

        def facts_of(doc: dict[str, Any]) -> dict[str, Any]:
            facts = enterprise_facts(doc, day=day, history=doc.get("history"))
            in_force = applicable(class_policies, doc["jurisdiction"])
            assert in_force is not None  # the province's is there
            facts["supervision_class"] = in_force.rules.evaluate(facts).outputs["class"]
            return facts

        if plan.ratio_source == "plan":
            return plan_classifier(plan, day, lambda doc: str(facts_of(doc)["supervision_class"]))

        def classify(doc: dict[str, Any], visited: bool) -> tuple[str, float, float]:
            facts = facts_of(doc)
            in_force = applicable(ratio_policies, doc["jurisdiction"])
            assert in_force is not None
            decided = in_force.rules.evaluate(facts).outputs
            # Strata are (class, ratio) so that a policy may give one class several ratios.
            stratum = f"{facts['supervision_class']}@{decided['ratio']:g}"
            weight = decided["weight"] * (1.0 if visited else plan.cycle_boost)
            return stratum, round(weight, 6), float(decided["ratio"])

        return classify

    return factory
