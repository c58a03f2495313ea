"""Who may read and write a task's field records and evidence: its inspectors; supervisors over it may read."""

from __future__ import annotations

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database
from core.errors import NotFound
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository

# Tasks an inspector no longer works on: their records leave the device (syncPull purges them).
CLOSED_TO_FIELD = frozenset({TaskStatus.REPLACED, TaskStatus.CANCELLED, TaskStatus.UNSTAFFED})


def may_work_on(viewer: Viewer, task: Task) -> bool:
    return (viewer.inspector_id is not None and viewer.inspector_id in task.inspectors
            and task.status not in CLOSED_TO_FIELD)


def may_oversee(viewer: Viewer, task: Task) -> bool:
    """Supervisors and admins whose jurisdictions cover the task's enterprise."""
    return viewer.has_any(SUPERVISORS) and viewer.covers(task.jurisdiction)


async def assigned_task(database: Database, viewer: Viewer, task_id: str) -> Task:
    """The task, if the viewer is one of its inspectors; otherwise NOT_FOUND (nothing leaked)."""
    task = await InspectionRepository(database).get_task(task_id)
    if task is None or not may_work_on(viewer, task):
        raise NotFound(f"task {task_id} not found", field="taskId")
    return task


async def readable_task(database: Database, viewer: Viewer, task_id: str) -> Task:
    """The task, for its inspectors and for supervisors over its jurisdiction."""
    task = await InspectionRepository(database).get_task(task_id)
    if task is None or not (may_work_on(viewer, task) or may_oversee(viewer, task)):
        raise NotFound(f"task {task_id} not found", field="taskId")
    return task
