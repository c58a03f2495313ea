"""Each enterprise's heavy-pollution measures under an alert, from the measures policy in force.

The implementation of ``core.alerts.service.ComputeMeasures``, injected into ``AlertService`` by
``api/assembly.py``: core does not import the policy engine.
"""

from __future__ import annotations

from typing import Any

from core.alerts.models import AlertData, AlertMeasures
from core.alerts.service import ComputeMeasures
from core.alerts.verification import CHECKABLE
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.nonsite.repository import MeterRepository
from core.policies.facts import facts_batches
from core.policies.kinds import PolicyKind
from core.policies.service import PolicyService
from core.reference import tables
from core.registry.repository import in_jurisdictions
from rules.policy_engine import compiled


def policy_measures(database: Database, policies: PolicyService) -> ComputeMeasures:
    """Measures computed by evaluating the province's measures policy in force on the alert's first day; for
    each checkable measure, the alert-verification policy's ratio and weight and the routing flags."""

    async def compute(alert: AlertData) -> AlertMeasures:
        day = alert.starts_at.date()
        version = await policies.in_force(f"{PolicyKind.HEAVY_POLLUTION_MEASURES}:{tables.root_code()}", day)
        if version is None:
            raise Conflict("no heavy-pollution measures policy is in force", code=ErrorCode.NO_POLICY)
        checks = await policies.in_force(f"{PolicyKind.ALERT_VERIFICATION}:{tables.root_code()}", day)
        if checks is None:
            raise Conflict("no alert-verification policy is in force", code=ErrorCode.NO_POLICY)
        policy, verification = compiled(version), compiled(checks)
        enterprises = in_jurisdictions(alert.jurisdictions)
        metered = await MeterRepository(database).codes_in_scope(alert.jurisdictions)
        measures = []
        async for part in facts_batches(database, enterprises, day, extra={"alert_level": alert.level}):
            for doc, facts in part:
                decision = policy.evaluate(facts)
                measure = {"credit_code": doc["credit_code"], "name": doc["name"],
                           "jurisdiction": doc["jurisdiction"], **decision.outputs,
                           "rules": list(decision.applied), "policy_version": version.id}
                outputs: dict[str, Any] = {"ratio": 0, "weight": 1}
                if decision.outputs.get("measure") in CHECKABLE:  # only these are sampled
                    facts["measure_in_force"] = decision.outputs["measure"]
                    outputs = verification.evaluate(facts).outputs
                measure["verification"] = {
                    "ratio": str(outputs.get("ratio", 0)), "weight": float(outputs.get("weight", 1)),
                    "monitored": bool(facts.get("online_monitoring")) or doc["credit_code"] in metered,
                    "member": bool(facts.get("on_positive_list")), "policy_version": checks.id}
                measures.append(measure)
        return AlertMeasures(policy_version=version.id, measures=measures)

    return compute
