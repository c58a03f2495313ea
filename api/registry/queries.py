"""Registry queries: enterprises, enterprise, inspectors, matters."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import PageInfo
from api.registry import types
from core.registry.models import CreditTier, EnterpriseFilter


@strawberry.type
class RegistryQuery:
    @strawberry.field(description="Enterprises in the viewer's jurisdictions, in registry order.")
    async def enterprises(
        self, info: Info[Context, None], first: int, after: str | None = None,
        filter: types.EnterpriseFilter | None = None,
    ) -> types.EnterpriseConnection:
        where = EnterpriseFilter(
            jurisdiction=filter.jurisdiction if filter else None,
            industry_code=filter.industry_code if filter else None,
            credit_tier=CreditTier(filter.credit_tier.value) if filter and filter.credit_tier else None,
            key_discharger=filter.key_discharger if filter else None,
            name_contains=(filter.name_contains or "").strip() or None if filter else None,
            credit_code_prefix=(filter.credit_code_prefix or "").strip() or None if filter else None,
        )
        registry, viewer = info.context.services.registry, info.context.viewer
        page = await registry.list_enterprises(viewer, first=first, after=after, where=where)
        loader = info.context.enterprise_by_code
        for item in page.items:
            loader.prime(item.credit_code, item)
        return types.EnterpriseConnection(
            edges=[types.EnterpriseEdge(cursor=c, node=types.Enterprise.from_domain(e))
                   for e, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            count=lambda: registry.count_enterprises(viewer, where=where),
        )

    @strawberry.field(description="One enterprise by credit code, if it is in the viewer's scope.")
    async def enterprise(self, info: Info[Context, None], credit_code: str) -> types.Enterprise | None:
        found = await info.context.enterprise_by_code.load(credit_code.strip().upper())
        return types.Enterprise.from_domain(found) if found else None

    @strawberry.field(description="Certified enforcement staff (执法人员名录库) in the viewer's scope.")
    async def inspectors(
        self, info: Info[Context, None], first: int, after: str | None = None,
        jurisdiction: str | None = None,
    ) -> types.InspectorConnection:
        registry, viewer = info.context.services.registry, info.context.viewer
        page = await registry.list_inspectors(viewer, first=first, after=after, jurisdiction=jurisdiction)
        return types.InspectorConnection(
            edges=[types.InspectorEdge(cursor=c, node=types.Inspector.from_domain(i))
                   for i, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            count=lambda: registry.count_inspectors(viewer, jurisdiction=jurisdiction),
        )

    @strawberry.field(description="The published list of random-check matters (抽查事项清单).")
    async def matters(self, info: Info[Context, None]) -> list[types.Matter]:
        items = await info.context.services.registry.list_matters(info.context.viewer)
        return [types.Matter.from_domain(m) for m in items]
