"""Who may call each root field: declared as data, enforced for every root field, fail closed.

Object-level scope (jurisdiction) is enforced again by the services, which filter every read
to the viewer's jurisdictions. A root field missing from ACCESS is refused.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from strawberry.extensions import SchemaExtension

from api.graphql.errors import ApiError
from core.accounts.models import Role
from core.accounts.roles import ANY_ROLE, AUTHORS, POLICY_READERS, PUBLIC, SUPERVISORS

ACCESS: dict[str, frozenset[Role]] = {
    "Query.viewer": PUBLIC,
    "Query.node": PUBLIC,  # resolves only what the viewer may see
    "Query.matters": PUBLIC,  # the random-check item list is published
    "Query.enterprises": ANY_ROLE,
    "Query.enterprise": ANY_ROLE,
    "Query.inspectors": SUPERVISORS,
    "Query.plans": SUPERVISORS,
    "Query.plan": SUPERVISORS,
    "Query.draw": SUPERVISORS,
    "Query.planTasks": SUPERVISORS,
    "Query.myTasks": ANY_ROLE,  # an account linked to an inspector sees its own tasks
    "Query.publishedPlans": PUBLIC,
    "Query.publishedDraw": PUBLIC,
    "Mutation.createPlan": SUPERVISORS,
    "Mutation.updatePlan": SUPERVISORS,
    "Mutation.freezePlan": SUPERVISORS,
    "Mutation.drawPlan": SUPERVISORS,
    "Mutation.publishPlan": SUPERVISORS,
    "Mutation.redraw": SUPERVISORS,
    "Mutation.recordTaskResult": SUPERVISORS,
    "Mutation.publishResults": SUPERVISORS,
    "Query.publishedResults": PUBLIC,
    "Query.overdueResults": SUPERVISORS,
    "Query.publicationCoverage": SUPERVISORS,
    "Query.policies": POLICY_READERS,
    "Query.policy": POLICY_READERS,
    "Query.policyVersion": POLICY_READERS,
    "Query.explainDecision": ANY_ROLE,
    "Mutation.createPolicyVersion": AUTHORS,
    "Mutation.updatePolicyDraft": AUTHORS,
    "Mutation.validatePolicyVersion": AUTHORS,
    "Mutation.addGoldenCase": AUTHORS,
    "Mutation.runGoldenCases": AUTHORS,
    "Mutation.simulatePolicyVersion": AUTHORS,
    "Mutation.submitPolicyVersion": AUTHORS,
    "Mutation.approvePolicyVersion": AUTHORS,
    "Mutation.activatePolicyVersion": AUTHORS,
    "Mutation.rollbackPolicy": AUTHORS,
    "Query.alerts": ANY_ROLE,
    "Query.alertMeasures": ANY_ROLE,
    "Query.alertLevelFromForecast": ANY_ROLE,
    "Mutation.issueAlert": SUPERVISORS,
    "Mutation.updateAlert": SUPERVISORS,
    "Mutation.liftAlert": SUPERVISORS,
    "Query.alertTasks": ANY_ROLE,
    "Mutation.staffAlertTasks": SUPERVISORS,
    "Mutation.updateEnterprise": SUPERVISORS,
    "Mutation.importEnterprises": SUPERVISORS,
    "Mutation.recordEnterpriseEvent": SUPERVISORS,
    "Query.recommendPenalty": ANY_ROLE,
    "Mutation.syncPush": ANY_ROLE,  # the service admits accounts linked to an inspector, for their own tasks
    "Query.syncPull": ANY_ROLE,
    "Query.checklist": ANY_ROLE,
    "Mutation.createChecklistVersion": SUPERVISORS,
    "Query.fieldProgress": SUPERVISORS,
    "Query.syncConflicts": SUPERVISORS,
    "Query.pendingEvidence": SUPERVISORS,
    "Mutation.resolveSyncConflict": SUPERVISORS,
    "Query.powerAlerts": ANY_ROLE,  # services refuse rule authors and filter by jurisdiction
    "Query.meterGaps": SUPERVISORS,
    "Query.complaints": SUPERVISORS,
    "Mutation.registerMeters": SUPERVISORS,
    "Mutation.ingestReadings": SUPERVISORS,
    "Mutation.scanPowerUsage": SUPERVISORS,
    "Mutation.advancePowerAlert": ANY_ROLE,  # handle and review: supervisors; feedback and verify: inspectors too
    "Mutation.createPowerAlertTask": SUPERVISORS,
    "Query.leads": ANY_ROLE,  # services refuse rule authors and filter by jurisdiction
    "Mutation.createPowerAlertLead": SUPERVISORS,
    "Mutation.convertLead": SUPERVISORS,
    "Mutation.dismissLead": SUPERVISORS,
    "Mutation.staffTargetedTasks": SUPERVISORS,
    "Mutation.recordComplaint": SUPERVISORS,
    "Mutation.closeComplaint": SUPERVISORS,
    "Mutation.recordHotspotAlert": SUPERVISORS,
    "Query.droneFlight": ANY_ROLE,  # inspectors, supervisors and admins covering the flight's jurisdiction
    "Mutation.recordDroneFlight": ANY_ROLE,
}


def check(key: str, viewer: Any) -> None:
    allowed = ACCESS.get(key)
    if allowed is None:
        raise ApiError(f"{key} has no access rule", "FORBIDDEN")
    if allowed is PUBLIC:
        return
    if not viewer.authenticated:
        raise ApiError("authentication required", "UNAUTHENTICATED")
    if not viewer.has_any(allowed):
        raise ApiError(f"your role may not use {key.split('.', 1)[1]}", "FORBIDDEN")


class AccessControl(SchemaExtension):
    """Checks ACCESS before any root field resolves."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        parent = info.parent_type.name
        if parent in ("Query", "Mutation") and not info.field_name.startswith("__"):
            check(f"{parent}.{info.field_name}", info.context.viewer)
        return _next(root, info, *args, **kwargs)


__all__ = ["ACCESS", "AccessControl", "check", "AsyncGenerator", "Awaitable"]
