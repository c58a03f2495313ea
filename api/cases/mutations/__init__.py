"""Case mutations: ``openCase`` and one mutation per step, declared in each stage's ``MUTATIONS`` table and
merged into ``CaseMutation``; the same tables give the access rules (``ACCESS``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from api.cases.mutations import correction, decision, execution, filing
from api.cases.mutations.common import StepMutation
from core.accounts.models import Role
from core.accounts.roles import CASE_READERS, CASE_STAFF, SUPERVISORS

STEP_MUTATIONS: list[StepMutation] = [*filing.MUTATIONS, *decision.MUTATIONS, *correction.MUTATIONS,
                                      *execution.MUTATIONS]

ACCESS: dict[str, frozenset[Role]] = {
    "Query.case": CASE_READERS,
    "Query.cases": CASE_READERS,
    "Query.overduePenaltyPublications": SUPERVISORS,
    "Query.caseDeadlineReport": SUPERVISORS,
    "Mutation.openCase": CASE_STAFF,
    **{f"Mutation.{m.field}": m.roles for m in STEP_MUTATIONS},
}


def _case_mutation() -> Any:
    fields: dict[str, Any] = {
        "openCase": strawberry.mutation(resolver=filing.open_case, description=(
            "Open a case (立案申请) from a finding, with its violations, evidence by reference and at least two "
            "certified handling officers; replaying the same caseId returns the stored case."))}
    fields.update({m.field: m.mutation() for m in STEP_MUTATIONS})
    return strawberry.type(type("CaseMutation", (), fields))


if TYPE_CHECKING:
    class CaseMutation:
        """Typed as a plain class; built from the tables at runtime."""
else:
    CaseMutation = _case_mutation()
