"""Inspection results and their publication (一公开): deadlines in working days, overdue and coverage reports."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.error_codes import ErrorCode
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import Coverage, Outcome, PlanStatus, Task, TaskResult, TaskStatus
from core.inspections.ports import PublicationDue
from core.inspections.service import PlanService, field_error, require_supervisor
from core.registry.rows import field_errors

log = logging.getLogger(__name__)


class ResultService:
    def __init__(self, plans: PlanService, *, publication_due: PublicationDue) -> None:
        """``publication_due``: the deadline of a check completed on a day (working days, from the settings)."""
        self.plans = plans
        self.repository = plans.repository
        self.publication_due = publication_due

    async def record(self, viewer: Viewer, task_id: str, *, outcome: str, summary: str, completed_on: date,
                     request_id: str) -> Task:
        task = await self.repository.get_task(task_id)
        if task is None or not viewer.covers(task.jurisdiction):
            raise NotFound(f"task {task_id} not found", field="taskId")
        require_supervisor(viewer, task.jurisdiction)
        if task.status in (TaskStatus.REPLACED, TaskStatus.UNSTAFFED, TaskStatus.CANCELLED):
            raise Conflict(f"task {task_id} is {task.status.value}; it has no result", code=ErrorCode.TASK_NOT_ACTIVE)
        if task.result is not None:
            raise Conflict(f"task {task_id} already has a result", code=ErrorCode.RESULT_EXISTS)
        if completed_on > datetime.now(UTC).date():
            raise field_error("completedOn", "completedOn is in the future", ErrorCode.INVALID_DATE)
        plan = await self.repository.get_plan(task.plan_id) if task.plan_id is not None else None
        if plan is not None and not plan.period_start <= completed_on <= plan.period_end:
            raise field_error("completedOn", f"{completed_on} is outside the plan's period {plan.period_start} to "
                              f"{plan.period_end}", ErrorCode.OUTSIDE_PLAN_PERIOD)
        try:
            result = TaskResult.model_validate({
                "outcome": outcome, "summary": summary, "completed_on": completed_on,
                "recorded_by": viewer.username or "", "publication_due": self.publication_due(completed_on)})
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        if result.outcome is not Outcome.NOT_INSPECTED and task.status is not TaskStatus.SUBMITTED:
            raise Conflict(f"task {task_id} is {task.status.value}: no inspection was submitted, so its only possible "
                           "result is not_inspected", code=ErrorCode.TASK_NOT_INSPECTED)
        await self._store(task, result, actor=viewer.username, request_id=request_id)
        updated = await self.repository.get_task(task.id)
        if updated is None:
            raise NotFound(f"task {task_id} not found", field="taskId")
        return updated

    async def record_submission(self, *, task_id: str, inspected_on: date, findings: list[dict[str, Any]],
                                submitted_by: str) -> Task | None:
        """The result of a plan's task from its signed-off field submission: violation_found with the findings
        summarised, or no_violation. None when there is nothing to record: not a plan's task, a result already
        recorded (a correction does not replace it), or an inspection outside the plan's period (a supervisor
        decides; ``record`` refuses such a date too)."""
        task = await self.repository.get_task(task_id)
        if task is None or task.plan_id is None or task.result is not None:
            return None
        plan = await self.repository.get_plan(task.plan_id)
        if plan is None or not plan.period_start <= inspected_on <= plan.period_end:
            log.warning("submission outside its plan's period: no result recorded", extra={"task_id": task_id})
            return None
        result = TaskResult(outcome=Outcome.VIOLATION_FOUND if findings else Outcome.NO_VIOLATION,
                            summary=summarise(findings), completed_on=inspected_on, recorded_by=submitted_by,
                            publication_due=self.publication_due(inspected_on))
        try:
            await self._store(task, result, actor=submitted_by, request_id=f"submission:{task_id}")
        except Conflict:
            return None  # recorded meanwhile
        return await self.repository.get_task(task.id)

    async def _store(self, task: Task, result: TaskResult, *, actor: str | None, request_id: str) -> None:
        if not await self.repository.set_result(task.id, task.version, result.model_dump(mode="json")):
            raise Conflict(f"task {task.id} changed meanwhile", code=ErrorCode.STALE_VERSION)
        if task.plan_id is not None:
            await self._advance_plan(task.plan_id)
        await self.plans.audit.append(actor=actor, action="recordTaskResult", target=f"task:{task.id}",
                                      request_id=request_id, outcome="ok", detail={"outcome": result.outcome.value})

    async def _advance_plan(self, plan_id: str) -> None:
        """drawn → in progress at the first result; → closed when every active task has one."""
        await self.repository.update_plan(plan_id, expect={"status": PlanStatus.DRAWN.value},
                                          changes={"status": PlanStatus.IN_PROGRESS.value})
        if await self.repository.open_tasks(plan_id) == 0:
            await self.repository.update_plan(plan_id, expect={"status": PlanStatus.IN_PROGRESS.value},
                                              changes={"status": PlanStatus.CLOSED.value})

    async def publish(self, viewer: Viewer, plan_id: str, *, request_id: str) -> int:
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        count = await self.repository.publish_results(plan.id, datetime.now(UTC))
        await self.plans.audit.append(actor=viewer.username, action="publishResults", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok", detail={"published": count})
        return count

    async def published(self, plan_id: str) -> list[Task]:
        return await self.repository.published_results(plan_id)

    async def overdue(self, viewer: Viewer, *, today: date | None = None) -> list[Task]:
        """Completed checks whose result is still unpublished after its deadline, in the viewer's scope."""
        self._require(viewer)
        return await self.repository.overdue_results(viewer.jurisdictions, due_before=today or datetime.now(UTC).date())

    async def coverage(self, viewer: Viewer, year: int, *, today: date | None = None) -> list[Coverage]:
        """Per jurisdiction: random checks completed in ``year``, how many published, how many overdue."""
        self._require(viewer)
        day = (today or datetime.now(UTC).date()).isoformat()
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for task in await self.repository.random_results_in(viewer.jurisdictions, year):
            entry = counts[task.jurisdiction]
            entry[0] += 1
            entry[1] += task.result_published_at is not None
            entry[2] += (task.result_published_at is None and task.result is not None
                         and task.result.publication_due.isoformat() < day)
        return [Coverage(code, *values) for code, values in sorted(counts.items())]

    def _require(self, viewer: Viewer) -> None:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("publication reports are for supervisors")


def summarise(findings: list[dict[str, Any]]) -> str:
    """A result's summary from the findings of its inspection (at most 2,000 characters)."""
    if not findings:
        return "未发现问题"
    lines = [f"{f.get('violation_type', '')}（{f.get('severity', '')}）：{f.get('description', '')}"
             for f in findings]
    text = f"发现 {len(findings)} 项问题：" + "；".join(lines)
    return text if len(text) <= 2000 else text[:1999] + "…"


def as_row(task: Task) -> dict[str, Any]:
    """A published result as a row of the public table and downloads."""
    assert task.result is not None
    return {"credit_code": task.credit_code, "enterprise_name": task.enterprise_name,
            "jurisdiction": task.jurisdiction, "outcome": task.result.outcome.value,
            "summary": task.result.summary, "completed_on": task.result.completed_on.isoformat(),
            "published_at": task.result_published_at.isoformat() if task.result_published_at else ""}
