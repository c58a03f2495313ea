"""Audit queries: the audit log, scoped to the viewer."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.audit import types
from api.audit.scope import audit_scope
from api.context import Context
from api.graphql.relay import PageInfo
from core.audit.models import AuditFilter


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail in recording order (seq): administrators see every entry, "
                                  "supervisors the entries of actors whose jurisdictions lie within theirs.")
    async def audit_log(self, info: Info[Context, None], first: int, after: str | None = None,
                        filter: types.AuditLogFilter | None = None) -> types.AuditConnection:
        page = await info.context.services.audit.page(
            audit_scope(info.context.viewer), filter.to_domain() if filter else AuditFilter(),
            first=first, after=after)
        return types.AuditConnection(
            edges=[types.AuditEdge(cursor=c, node=types.AuditEntry.from_domain(e))
                   for e, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )
