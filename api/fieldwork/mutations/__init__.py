"""Field work mutations, one module each, merged into ``FieldMutation``."""

from __future__ import annotations

import strawberry

from api.fieldwork.mutations import checklist_version_create, sync_conflict_resolve, sync_push


@strawberry.type
class FieldMutation:
    sync_push = strawberry.mutation(
        resolver=sync_push.sync_push,
        description="Apply a device's operations; one result per op, in order.")
    create_checklist_version = strawberry.mutation(
        resolver=checklist_version_create.create_checklist_version,
        description="A new version of a matter's checklist (supervisors).")
    resolve_sync_conflict = strawberry.mutation(
        resolver=sync_conflict_resolve.resolve_sync_conflict,
        description="Record a supervisor's decision on a sync conflict.")
