"""Policy authoring mutations, one module each; ``PolicyMutation`` gathers them in the schema's field order."""

from __future__ import annotations

import strawberry

from api.policies.mutations.golden_case_add import add_golden_case
from api.policies.mutations.golden_case_delete import delete_golden_case
from api.policies.mutations.golden_cases_run import run_golden_cases
from api.policies.mutations.policy_create import create_policy
from api.policies.mutations.policy_draft_discard import discard_policy_draft
from api.policies.mutations.policy_draft_update import update_policy_draft
from api.policies.mutations.policy_rollback import rollback_policy
from api.policies.mutations.policy_version_activate import activate_policy_version
from api.policies.mutations.policy_version_approve import approve_policy_version
from api.policies.mutations.policy_version_create import create_policy_version
from api.policies.mutations.policy_version_simulate import simulate_policy_version
from api.policies.mutations.policy_version_submit import submit_policy_version
from api.policies.mutations.policy_version_validate import validate_policy_version


@strawberry.type
class PolicyMutation:
    create_policy = strawberry.mutation(
        resolver=create_policy,
        description="A city's own policy of a kind (a draft copied from the province's); until a version of it is "
                    "in force, the province's policy decides for the city.")
    create_policy_version = strawberry.mutation(
        resolver=create_policy_version,
        description="A new draft version from a parent (default: the active version).")
    update_policy_draft = strawberry.mutation(
        resolver=update_policy_draft,
        description="Replace a draft's rules; refused with coded errors naming rule and field.")
    validate_policy_version = strawberry.mutation(
        resolver=validate_policy_version,
        description="Schema, vocabulary, gaps, conflicts, dead rules and a trial compilation.")
    add_golden_case = strawberry.mutation(
        resolver=add_golden_case, description="Add a golden case (facts → expected outputs) to a draft.")
    delete_golden_case = strawberry.mutation(
        resolver=delete_golden_case, description="Remove a golden case from a draft.")
    discard_policy_draft = strawberry.mutation(
        resolver=discard_policy_draft, description="Give a draft up, with a reason (kept as discarded).")
    run_golden_cases = strawberry.mutation(resolver=run_golden_cases, description="Run a version's golden cases.")
    simulate_policy_version = strawberry.mutation(
        resolver=simulate_policy_version,
        description="The candidate against the active version over the current registry.")
    submit_policy_version = strawberry.mutation(
        resolver=submit_policy_version,
        description="Draft → in review; needs a clean validation and passing golden cases.")
    approve_policy_version = strawberry.mutation(
        resolver=approve_policy_version, description="In review → approved, by someone other than the author.")
    activate_policy_version = strawberry.mutation(
        resolver=activate_policy_version,
        description="Approved → active from a date; the previous version retires the day before.")
    rollback_policy = strawberry.mutation(
        resolver=rollback_policy, description="Re-activate an earlier (retired) version from today, with a reason.")
