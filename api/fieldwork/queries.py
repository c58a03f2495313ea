"""Field work queries: syncPull, checklists, and the supervisor's view (progress, conflicts, pending evidence)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.fieldwork import types


@strawberry.type
class FieldQuery:
    @strawberry.field(description="Changes to the records of your tasks after `since` (a server sequence), "
                                  "and the tasks to purge from the device.")
    async def sync_pull(self, info: Info[Context, None], since: int = 0, first: int = 100) -> types.SyncPage:
        page = await info.context.services.sync.pull(info.context.viewer, since=since, first=first)
        return types.SyncPage(changes=[types.FieldChange.from_entry(e) for e in page["changes"]],
                              purge=page["purge"], next_since=page["next_since"], has_more=page["has_more"])

    @strawberry.field(description="The latest checklist of a matter.")
    async def checklist(self, info: Info[Context, None], matter: str) -> types.Checklist | None:
        found = await info.context.services.checklists.latest(matter)
        return types.Checklist.from_domain(found) if found else None

    @strawberry.field(description="Progress of a plan's tasks (or of a targeted origin such as alert:<id>).")
    async def field_progress(self, info: Info[Context, None], plan_id: str | None = None,
                             origin: str | None = None) -> types.FieldProgress:
        found = await info.context.services.oversight.progress(info.context.viewer, plan_id=plan_id,
                                                               origin=origin)
        return types.FieldProgress(total=found["total"], by_status=found["by_status"],
                                   awaiting_evidence=found["awaiting_evidence"],
                                   open_conflicts=found["open_conflicts"], pending_evidence=found["pending_evidence"])

    @strawberry.field(description="Open sync conflicts in your jurisdictions, newest first.")
    async def sync_conflicts(self, info: Info[Context, None]) -> list[types.SyncConflict]:
        found = await info.context.services.oversight.conflicts(info.context.viewer)
        return [types.SyncConflict.from_document(d) for d in found]

    @strawberry.field(description="Evidence registered but not yet fully uploaded, oldest first.")
    async def pending_evidence(self, info: Info[Context, None]) -> JSON:
        found = await info.context.services.oversight.pending_evidence(info.context.viewer)
        return types.plain([{"evidenceId": d["_id"], "taskId": d["task_id"], "kind": d["kind"], "size": d["size"],
                             "received": d.get("received", 0), "registeredAt": d["registered_at"],
                             "registeredBy": d["registered_by"]} for d in found])
