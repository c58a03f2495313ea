"""DataLoaders for the task dossier: one query per request for all the tasks on a page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.dataloader import DataLoader

from core.fieldwork.details import InspectionDetails
from core.fieldwork.models import Checklist
from core.inspections.models import Task

Batch = Callable[[list[str]], Awaitable[dict[str, Any]]]


def _loader(context: Any, name: str, fetch: Batch, default: Any) -> DataLoader[str, Any]:
    if name not in context.loaders:
        async def load(keys: list[str]) -> list[Any]:
            found = await fetch(list(keys))
            return [found.get(key, default) for key in keys]

        context.loaders[name] = DataLoader(load_fn=load)
    return context.loaders[name]


def measures_by_code(context: Any) -> DataLoader[str, list[dict[str, Any]]]:
    """AlertMeasuresByCodeLoader: the heavy-pollution measures in force now for each enterprise."""
    return _loader(context, "measures_by_code", context.services.alerts.active_measures_of, [])


def results_by_code(context: Any) -> DataLoader[str, list[Task]]:
    """PastInspectionsByCodeLoader: each enterprise's latest tasks with a recorded result."""
    return _loader(context, "results_by_code", context.services.plans.results_of, [])


def inspection_by_task(context: Any) -> DataLoader[str, dict[str, Any] | None]:
    """InspectionByTaskLoader: the current (not superseded) on-site inspection of each task."""
    return _loader(context, "inspection_by_task", context.services.oversight.current_inspections, None)


def details_by_inspection(context: Any) -> DataLoader[str, InspectionDetails | None]:
    """InspectionDetailsByIdLoader: the answers with their items, findings and evidence of each inspection."""
    return _loader(context, "details_by_inspection", context.services.oversight.details, None)


def checklist_by_plan(context: Any) -> DataLoader[str, Checklist | None]:
    """ChecklistByPlanLoader: the latest checklist of each plan's first matter ("" for targeted tasks)."""
    return _loader(context, "checklist_by_plan", context.services.checklists.latest_of_plans, None)


def checklist_by_matter(context: Any) -> DataLoader[str, Checklist | None]:
    """ChecklistByMatterLoader: the latest checklist of each matter (targeted tasks' kinds)."""

    async def fetch(matters: list[str]) -> dict[str, Any]:
        return await context.services.checklists.latest_of(sorted(set(matters)))

    return _loader(context, "checklist_by_matter", fetch, None)
