"""Policy authoring mutations: each parses input, calls one lifecycle operation, maps the result."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.policies import types
from core.errors import DomainError, FieldError
from core.policies.models import PolicyVersion
from rules.lifecycle import run_cases
from rules.simulation import simulate


@strawberry.type
class PolicyVersionPayload:
    version: types.PolicyVersion | None
    user_errors: list[UserError]


async def _version_payload(call: Awaitable[PolicyVersion]) -> PolicyVersionPayload:
    try:
        version = await call
    except DomainError as exc:
        return PolicyVersionPayload(version=None, user_errors=[UserError.from_domain(e) for e in exc.as_field_errors()])
    return PolicyVersionPayload(version=types.PolicyVersion.from_domain(version), user_errors=[])


@strawberry.input
class CreatePolicyVersionInput:
    policy_id: str
    parent_id: str | None = strawberry.field(default=None, description="Default: the active version")


@strawberry.input
class UpdatePolicyDraftInput:
    version_id: str
    content: JSON
    reason: str = ""


@strawberry.input
class VersionInput:
    version_id: str


@strawberry.input
class SimulatePolicyVersionInput:
    version_id: str
    assume: JSON | None = strawberry.field(
        default=None, description='Facts assumed for every enterprise, e.g. {"alert_level": "orange"} to see '
                                  "what a heavy-pollution version changes on an orange-alert day")


@strawberry.input
class AddGoldenCaseInput:
    version_id: str
    facts: JSON
    expected: JSON
    note: str = ""


@strawberry.input
class ActivatePolicyVersionInput:
    version_id: str
    effective_from: date


@strawberry.input
class RollbackPolicyInput:
    policy_id: str
    to_version: str
    reason: str


@strawberry.type
class ValidationPayload:
    valid: bool
    user_errors: list[UserError]


@strawberry.type
class GoldenCasesPayload:
    results: list[types.GoldenCaseResult]
    user_errors: list[UserError]


@strawberry.type
class SimulationPayload:
    simulation: types.Simulation | None
    user_errors: list[UserError]


def _errors(problems: list[FieldError]) -> list[UserError]:
    return [UserError.from_domain(e) for e in problems]


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(description="A new draft version from a parent (default: the active version).")
    async def create_policy_version(self, info: Info[Context, None], input: CreatePolicyVersionInput  # noqa: A002
                                    ) -> PolicyVersionPayload:
        return await _version_payload(info.context.services.policies.create_version(
            info.context.viewer, input.policy_id, parent_id=input.parent_id))

    @strawberry.mutation(description="Replace a draft's rules; refused with coded errors naming rule and field.")
    async def update_policy_draft(self, info: Info[Context, None], input: UpdatePolicyDraftInput  # noqa: A002
                                  ) -> PolicyVersionPayload:
        if not isinstance(input.content, dict):
            return PolicyVersionPayload(version=None, user_errors=[UserError(
                field="content", message="content must be a JSON object", code="MALFORMED_POLICY")])
        return await _version_payload(info.context.services.policies.update_draft(
            info.context.viewer, input.version_id, input.content, reason=input.reason))

    @strawberry.mutation(description="Schema, vocabulary, gaps, conflicts, dead rules and a trial compilation.")
    async def validate_policy_version(self, info: Info[Context, None], input: VersionInput  # noqa: A002
                                      ) -> ValidationPayload:
        try:
            await info.context.services.policies.scoped_version(info.context.viewer, input.version_id)
            problems = await info.context.services.policies.validate(input.version_id)
        except DomainError as exc:
            return ValidationPayload(valid=False, user_errors=_errors(exc.as_field_errors()))
        return ValidationPayload(valid=not problems, user_errors=_errors(problems))

    @strawberry.mutation(description="Add a golden case (facts → expected outputs) to a draft.")
    async def add_golden_case(self, info: Info[Context, None], input: AddGoldenCaseInput  # noqa: A002
                              ) -> PolicyVersionPayload:
        if not isinstance(input.facts, dict) or not isinstance(input.expected, dict):
            return PolicyVersionPayload(version=None, user_errors=[UserError(
                field="facts", message="facts and expected must be JSON objects", code="INVALID_VALUE")])
        return await _version_payload(info.context.services.policies.add_golden_case(
            info.context.viewer, input.version_id, facts=input.facts, expected=input.expected, note=input.note))

    @strawberry.mutation(description="Run a version's golden cases.")
    async def run_golden_cases(self, info: Info[Context, None], input: VersionInput  # noqa: A002
                               ) -> GoldenCasesPayload:
        try:
            version = await info.context.services.policies.scoped_version(info.context.viewer, input.version_id)
            results = run_cases(version)
        except DomainError as exc:
            return GoldenCasesPayload(results=[], user_errors=_errors(exc.as_field_errors()))
        return GoldenCasesPayload(results=[types.GoldenCaseResult(**r) for r in results], user_errors=[])

    @strawberry.mutation(description="The candidate against the active version over the current registry.")
    async def simulate_policy_version(self, info: Info[Context, None],
                                      input: SimulatePolicyVersionInput  # noqa: A002
                                      ) -> SimulationPayload:
        services = info.context.services
        if input.assume is not None and not isinstance(input.assume, dict):
            return SimulationPayload(simulation=None, user_errors=[UserError(
                field="assume", message="assume must be a JSON object of facts", code="INVALID_VALUE")])
        try:
            await services.policies.scoped_version(info.context.viewer, input.version_id)
            result = await simulate(services.registry.database, services.policies, input.version_id,
                                    assume=input.assume or {})
        except DomainError as exc:
            return SimulationPayload(simulation=None, user_errors=_errors(exc.as_field_errors()))
        return SimulationPayload(simulation=types.Simulation(
            candidate=result.candidate, baseline=result.baseline, evaluated=result.evaluated, changed=result.changed,
            summary=result.summary(),
            transitions=[types.Transition(output=k[0], before=k[1], after=k[2], enterprises=n)
                         for k, n in result.transitions.most_common()],
            enterprises=[types.EnterpriseDecisionChange(**row) for row in result.listed]), user_errors=[])

    @strawberry.mutation(description="Draft → in review; needs a clean validation and passing golden cases.")
    async def submit_policy_version(self, info: Info[Context, None], input: VersionInput  # noqa: A002
                                    ) -> PolicyVersionPayload:
        return await _version_payload(info.context.services.policies.submit(info.context.viewer, input.version_id))

    @strawberry.mutation(description="In review → approved, by someone other than the author.")
    async def approve_policy_version(self, info: Info[Context, None], input: VersionInput  # noqa: A002
                                     ) -> PolicyVersionPayload:
        return await _version_payload(info.context.services.policies.approve(info.context.viewer, input.version_id))

    @strawberry.mutation(description="Approved → active from a date; the previous version retires the day before.")
    async def activate_policy_version(self, info: Info[Context, None], input: ActivatePolicyVersionInput  # noqa: A002
                                      ) -> PolicyVersionPayload:
        return await _version_payload(info.context.services.policies.activate(
            info.context.viewer, input.version_id, effective_from=input.effective_from))

    @strawberry.mutation(description="Re-activate an earlier (retired) version from today, with a reason.")
    async def rollback_policy(self, info: Info[Context, None], input: RollbackPolicyInput  # noqa: A002
                              ) -> PolicyVersionPayload:
        return await _version_payload(info.context.services.policies.rollback(
            info.context.viewer, input.policy_id, to_version=input.to_version, reason=input.reason))
