"""The GraphQL schema: root types merged from each domain, with limits and masking."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from api.alerts.mutations import AlertMutation
from api.alerts.queries import AlertQuery
from api.audit.queries import AuditQuery
from api.cases.mutations import CaseMutation
from api.cases.queries import CaseQuery
from api.context import Context
from api.events.mutations import EventMutation
from api.events.queries import EventQuery
from api.fieldwork.mutations import FieldMutation
from api.fieldwork.queries import FieldQuery
from api.graphql.errors import is_expected
from api.graphql.limits import Limits, make_limit_rule
from api.graphql.nodes import resolve_node
from api.graphql.permissions import guard_root_fields
from api.graphql.relay import Node
from api.graphql.scalars import SafeJSON
from api.graphql.validation import budgeted_validation
from api.inspections import types as inspection_types
from api.inspections.coverage import CoverageQuery
from api.inspections.mutations import InspectionMutation
from api.inspections.queries import InspectionQuery
from api.nonsite.mutations import NonsiteMutation
from api.nonsite.queries import NonsiteQuery
from api.policies.mutations import PolicyMutation
from api.policies.queries import PolicyQuery
from api.positive_list.mutations import PositiveListMutation
from api.positive_list.queries import PositiveListQuery
from api.registry import types as registry_types
from api.registry.mutations import RegistryMutation
from api.registry.queries import RegistryQuery
from core.config import Settings


@strawberry.type(description="The authenticated user, or an anonymous one.")
class Viewer:
    username: str | None
    roles: list[str]
    jurisdictions: list[str]
    inspector_id: str | None
    authenticated: bool


@strawberry.type
class Query(RegistryQuery, InspectionQuery, PolicyQuery, AlertQuery, EventQuery, FieldQuery, NonsiteQuery,
            CaseQuery, AuditQuery, CoverageQuery, PositiveListQuery):
    @strawberry.field(description="Who is asking.")
    def viewer(self, info: Info[Context, None]) -> Viewer:
        v = info.context.viewer
        return Viewer(username=v.username, roles=sorted(r.value for r in v.roles),
                      jurisdictions=list(v.jurisdictions), inspector_id=v.inspector_id,
                      authenticated=v.authenticated)

    @strawberry.field(description="Any object by its global id, if the viewer may see it.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        return await resolve_node(info.context, id)


@strawberry.type
class Mutation(PolicyMutation, AlertMutation, EventMutation, FieldMutation, NonsiteMutation, InspectionMutation,
               RegistryMutation, CaseMutation, PositiveListMutation):
    """Every domain's mutations; the root adds none of its own."""


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Unexpected errors are logged once, by the masking rule; expected ones are not logged."""


def build_schema(settings: Settings) -> strawberry.Schema:
    # The rules are built once: the validation outcomes are cached by document text for this schema.
    limits = Limits(max_depth=settings.query_max_depth, max_aliases=settings.query_max_aliases,
                    max_nodes=settings.query_max_nodes)
    validation = budgeted_validation([make_limit_rule(limits)],
                                     budget_s=settings.query_validation_budget_ms / 1000)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=[registry_types.Enterprise, registry_types.Inspector, inspection_types.Plan, inspection_types.Task],
        config=StrawberryConfig(scalar_map={strawberry.scalars.JSON: SafeJSON}),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.query_max_tokens),
            lambda: ParserCache(maxsize=512),
            validation,
            lambda: MaskErrors(should_mask_error=lambda error: not is_expected(error)),
        ],
    )
    guard_root_fields(schema._schema)
    return schema


def export_sdl(settings: Settings) -> str:
    return build_schema(settings).as_str() + "\n"
