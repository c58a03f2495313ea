"""staffTargetedTasks: draw two certified inspectors at random for each unstaffed targeted task of an origin."""

from __future__ import annotations

from strawberry.types import Info

from api.context import Context
from api.nonsite import types


async def staff_targeted_tasks(info: Info[Context, None], origin: str) -> types.TargetedStaffing:
    done = await info.context.services.targeted.staff(info.context.viewer, origin)
    return types.TargetedStaffing.from_result(done)
