"""simulatePolicyVersion: the candidate against the active version over the current registry."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.policies import types
from core.error_codes import ErrorCode


@strawberry.input
class SimulatePolicyVersionInput:
    version_id: str
    assume: JSON | None = strawberry.field(
        default=None, description='Facts assumed for every enterprise, e.g. {"alert_level": "orange"} to see '
                                  "what a heavy-pollution version changes on an orange-alert day")


@strawberry.type
class SimulationPayload:
    simulation: types.Simulation | None
    user_errors: list[UserError]


async def simulate_policy_version(info: Info[Context, None], input: SimulatePolicyVersionInput) -> SimulationPayload:
    if input.assume is not None and not isinstance(input.assume, dict):
        return SimulationPayload(simulation=None, user_errors=[UserError(
            field="assume", message="assume must be a JSON object of facts", code=ErrorCode.INVALID_VALUE)])
    return await payload(
        info.context.services.policies.simulate(info.context.viewer, input.version_id, assume=input.assume or {}),
        ok=lambda result: SimulationPayload(simulation=types.Simulation.from_domain(result), user_errors=[]),
        refused=lambda errors: SimulationPayload(simulation=None, user_errors=errors))
