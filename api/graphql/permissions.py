"""Who may call each root field: declared as data, enforced for every root field, fail closed.

Object-level scope (jurisdiction) is enforced again by the services, which filter every read
to the viewer's jurisdictions. A root field missing from ACCESS is refused. The same guard records
each mutation's outcome and each refused root field in the audit trail (``api.graphql.audit``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema, default_field_resolver

from api.cases.mutations import ACCESS as CASE_ACCESS
from api.graphql import audit
from api.graphql.errors import ApiError
from core.accounts.models import Role
from core.accounts.roles import ANY_ROLE, AUTHORS, POLICY_READERS, PUBLIC, SUPERVISORS
from core.error_codes import ErrorCode

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
    "Mutation.fileRedraw": SUPERVISORS,
    "Mutation.completeRedraw": SUPERVISORS,
    "Mutation.cancelPlan": SUPERVISORS,
    "Mutation.recordTaskResult": SUPERVISORS,
    "Mutation.publishResults": SUPERVISORS,
    "Query.publishedResults": PUBLIC,
    "Query.overdueResults": SUPERVISORS,
    "Query.publicationCoverage": SUPERVISORS,
    "Query.coverageReport": SUPERVISORS,  # the service keeps supervisors to their jurisdictions
    "Query.policies": POLICY_READERS,
    "Query.policy": POLICY_READERS,
    "Query.policyVersion": POLICY_READERS,
    "Query.explainDecision": ANY_ROLE,
    "Mutation.createPolicy": AUTHORS,
    "Mutation.createPolicyVersion": AUTHORS,
    "Mutation.updatePolicyDraft": AUTHORS,
    "Mutation.validatePolicyVersion": AUTHORS,
    "Mutation.addGoldenCase": AUTHORS,
    "Mutation.deleteGoldenCase": AUTHORS,
    "Mutation.discardPolicyDraft": AUTHORS,
    "Mutation.runGoldenCases": AUTHORS,
    "Mutation.simulatePolicyVersion": AUTHORS,
    "Mutation.submitPolicyVersion": AUTHORS,
    "Mutation.approvePolicyVersion": AUTHORS,
    "Mutation.activatePolicyVersion": AUTHORS,
    "Mutation.rollbackPolicy": AUTHORS,
    "Query.alerts": ANY_ROLE,
    "Query.alertMeasures": ANY_ROLE,
    "Query.alertPreview": SUPERVISORS,
    "Query.alertLevelFromForecast": ANY_ROLE,
    "Mutation.issueAlert": SUPERVISORS,
    "Mutation.updateAlert": SUPERVISORS,
    "Mutation.liftAlert": SUPERVISORS,
    "Query.alertTasks": ANY_ROLE,
    "Mutation.staffAlertTasks": SUPERVISORS,
    "Mutation.updateEnterprise": SUPERVISORS,
    "Mutation.importEnterprises": SUPERVISORS,
    "Query.positiveListMembers": SUPERVISORS,  # the public page publishes the list; this is the managers' view
    "Query.positiveListHistory": SUPERVISORS,
    "Mutation.admitToPositiveList": SUPERVISORS,
    "Mutation.removeFromPositiveList": SUPERVISORS,
    # Registry upkeep: the services check the jurisdictions (the matter list is province-wide).
    "Mutation.createInspector": SUPERVISORS,
    "Mutation.updateInspector": SUPERVISORS,
    "Mutation.deactivateInspector": SUPERVISORS,
    "Mutation.declareConflict": SUPERVISORS,
    "Mutation.withdrawConflict": SUPERVISORS,
    "Mutation.createMatter": SUPERVISORS,
    "Mutation.updateMatter": SUPERVISORS,
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
    "Query.overdueComplaints": SUPERVISORS,
    "Mutation.linkComplaint": SUPERVISORS,
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
    "Query.auditLog": SUPERVISORS,  # administrators see every entry; supervisors those of actors in their scope
    **CASE_ACCESS,  # one entry per case field, from the case mutations' table
}


def check(key: str, viewer: Any) -> None:
    allowed = ACCESS.get(key)
    if allowed is None:
        raise ApiError(f"{key} has no access rule", ErrorCode.FORBIDDEN)
    if allowed is PUBLIC:
        return
    if not viewer.authenticated:
        raise ApiError("authentication required", ErrorCode.UNAUTHENTICATED)
    if not viewer.has_any(allowed):
        raise ApiError(f"your role may not use {key.split('.', 1)[1]}", ErrorCode.FORBIDDEN)


def guard_root_fields(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every root field of the built schema with `check`.

    Only root fields are guarded (object scope is the services' job), so the check is bound to those
    fields alone: a schema-wide resolve hook would run for every field of every response, about
    3,000 times for one inspector's task list with its dossiers.
    """
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        for name, field in root.fields.items():
            field.resolve = _guarded(f"{root.name}.{name}", field.resolve)


def _guarded(key: str, resolve: Callable[..., Any] | None) -> Callable[..., Any]:
    inner = resolve or default_field_resolver
    mutation = key.startswith("Mutation.")

    def guarded(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        try:
            check(key, info.context.viewer)
            result = inner(root, info, **kwargs)
        except Exception as exc:
            audit.record(info.context, key, kwargs, audit.error_code(exc))
            raise
        if inspect.isawaitable(result):
            return audit.settle(info.context, key, kwargs, result, mutation)
        if mutation:
            audit.record(info.context, key, kwargs, audit.payload_refusal(result))
        return result

    return guarded


__all__ = ["ACCESS", "check", "guard_root_fields"]
