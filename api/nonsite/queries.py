"""Non-site queries: drone flights, power alerts, meter gaps, complaints and leads."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.nonsite import types
from core.errors import DomainError


@strawberry.type
class NonsiteQuery:
    @strawberry.field(description="A drone flight: the sites it passed, photos linked to enterprises, problems. "
                                  "The map preview is GET /flights/<id>/preview.png.")
    async def drone_flight(self, info: Info[Context, None], flight_id: str) -> types.DroneFlight | None:
        try:
            found = await info.context.services.drones.get(info.context.viewer, flight_id)
        except DomainError:
            return None
        return types.DroneFlight.from_document(found)

    @strawberry.field(description="Power-usage alerts in your jurisdictions, newest first; open ones by default; "
                                  "one enterprise's history with creditCode.")
    async def power_alerts(self, info: Info[Context, None], open_only: bool = True,
                           credit_code: str | None = None) -> list[types.PowerAlert]:
        found = await info.context.services.power_alerts.list_alerts(
            info.context.viewer, open_only=open_only, credit_code=credit_code)
        return [types.PowerAlert.from_domain(a) for a in found]

    @strawberry.field(description="Runs of 15-minute slots without a reading, for one meter.")
    async def meter_gaps(self, info: Info[Context, None], meter_id: str, start: date,
                         days: int = 1) -> list[types.MeterGap]:
        found = await info.context.services.meters.gaps(info.context.viewer, meter_id, start, min(days, 31))
        return [types.MeterGap(start=a, end=b) for a, b in found]

    @strawberry.field(description="Complaints still being handled after their due date, oldest first (supervisors).")
    async def overdue_complaints(self, info: Info[Context, None]) -> list[types.Complaint]:
        found = await info.context.services.complaints.overdue(info.context.viewer)
        return [types.Complaint.from_document(d) for d in found]

    @strawberry.field(description="Complaints in your jurisdictions and their handling status (supervisors).")
    async def complaints(self, info: Info[Context, None], status: str | None = None) -> list[types.Complaint]:
        found = await info.context.services.complaints.complaints(info.context.viewer, status=status)
        return [types.Complaint.from_document(d) for d in found]

    @strawberry.field(description="Leads in your jurisdictions, newest first (at most 200); by status "
                                  "(open, converted, dismissed) and enterprise.")
    async def leads(self, info: Info[Context, None], status: str | None = None,
                    credit_code: str | None = None) -> list[types.Lead]:
        found = await info.context.services.leads.list_leads(
            info.context.viewer, status=status, credit_code=credit_code)
        return [types.Lead.from_domain(lead) for lead in found]
