"""Storage of plans, their frozen populations and secrets, draws, inspector snapshots, tasks, templates, notices."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from core.counters.repository import reserve
from core.db import CollectionSpec, Database, chunks
from core.inspections.models import Draw, Plan, PlanStatus, PlanTemplate, Task, TaskStatus
from core.reference import tables

PLANS, SECRETS, POPULATIONS, DRAWS, SNAPSHOTS, TASKS = (
    "plans", "plan_secrets", "plan_populations", "draws", "inspector_snapshots", "tasks")
COMMITMENTS = "plan_commitments"  # protocol v2: the commitment document, compressed, in parts of at most 8 MB
PART_BYTES = 8 * 1024 * 1024
TEMPLATES, NOTICES = "plan_templates", "notices"
CHUNK = 10_000

COLLECTIONS = [
    CollectionSpec(PLANS, indexes=[IndexModel([("jurisdiction", ASCENDING), ("created_at", DESCENDING)])],
                   json_schema={"bsonType": "object", "required": ["name", "jurisdiction", "status", "version"]}),
    CollectionSpec(SECRETS),
    CollectionSpec(POPULATIONS, indexes=[IndexModel([("plan_id", ASCENDING), ("chunk", ASCENDING)], unique=True)]),
    CollectionSpec(COMMITMENTS, indexes=[IndexModel([("plan_id", ASCENDING), ("part", ASCENDING)], unique=True)]),
    CollectionSpec(DRAWS, indexes=[IndexModel([("plan_id", ASCENDING), ("created_at", ASCENDING)])]),
    CollectionSpec(SNAPSHOTS, indexes=[IndexModel([("draw_id", ASCENDING), ("chunk", ASCENDING)], unique=True)]),
    CollectionSpec(TASKS, indexes=[
        IndexModel([("draw_id", ASCENDING), ("credit_code", ASCENDING)], unique=True),
        IndexModel([("plan_id", ASCENDING), ("credit_code", ASCENDING)]),
        IndexModel([("inspectors", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("credit_code", ASCENDING), ("created_at", DESCENDING)]),
    ]),
]


def _plan(doc: dict[str, Any]) -> Plan:
    return Plan.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


def _task(doc: dict[str, Any]) -> Task:
    return Task.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()
                                if k not in {"jurisdiction_path"}})


def _task_document(task: Task) -> dict[str, Any]:
    doc = task.model_dump(mode="json", exclude={"id"})
    doc["created_at"] = task.created_at
    doc["jurisdiction_path"] = tables.ancestors(task.jurisdiction)
    return {"_id": task.id, **doc}


class InspectionRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert_plan(self, plan: Plan) -> None:
        doc = plan.model_dump(mode="json", exclude={"id"})
        doc["created_at"] = plan.created_at
        await self.database[PLANS].insert_one({"_id": plan.id, **doc})

    async def get_plan(self, plan_id: str, *, session: Any = None) -> Plan | None:
        doc = await self.database[PLANS].find_one({"_id": plan_id}, session=session)
        return _plan(doc) if doc else None

    async def list_plans(self, jurisdictions: Sequence[str] | None, *, published_only: bool = False,
                         limit: int = 100) -> list[Plan]:
        query: dict[str, Any] = {}
        if jurisdictions is not None:
            query["jurisdiction"] = {"$in": list(jurisdictions)}
        if published_only:
            query["published_at"] = {"$ne": None}
        docs = await self.database[PLANS].find(query).sort("created_at", DESCENDING).limit(limit).to_list()
        return [_plan(d) for d in docs]

    async def overlapping_plans(self, plan: Plan, *, session: Any = None) -> list[Plan]:
        """Other frozen-or-later, uncancelled plans of ``plan``'s jurisdiction sharing a matter and overlapping its
        period (dates are stored as ISO strings, which order as the dates do)."""
        docs = await self.database[PLANS].find({
            "jurisdiction": plan.jurisdiction, "_id": {"$ne": plan.id},
            "status": {"$nin": [PlanStatus.DRAFT.value, PlanStatus.CANCELLED.value]},
            "matters": {"$in": list(plan.matters)},
            "period_start": {"$lte": plan.period_end.isoformat()},
            "period_end": {"$gte": plan.period_start.isoformat()}}, session=session).to_list()
        return [_plan(d) for d in docs]

    async def claim_freezes(self, jurisdiction: str, *, session: Any) -> None:
        """Write the jurisdiction's freeze counter: two transactions freezing plans of one jurisdiction conflict,
        so the later one reruns and sees the other's plan (no write skew between twin plans)."""
        await reserve(self.database, f"plan-freezes:{jurisdiction}", 1, session=session)

    async def update_plan(self, plan_id: str, *, expect: dict[str, Any], changes: dict[str, Any],
                          session: Any = None) -> Plan | None:
        """Apply ``changes`` if the plan still matches ``expect``; None when it no longer does."""
        doc = await self.database[PLANS].find_one_and_update(
            {"_id": plan_id, **expect}, {"$set": changes, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=session)
        return _plan(doc) if doc else None

    async def save_secret(self, plan_id: str, secret: str, *, session: Any = None) -> None:
        await self.database[SECRETS].replace_one({"_id": plan_id}, {"_id": plan_id, "secret": secret},
                                                 upsert=True, session=session)

    async def secret(self, plan_id: str) -> str | None:
        doc = await self.database[SECRETS].find_one({"_id": plan_id})
        return str(doc["secret"]) if doc else None

    async def save_population(self, plan_id: str, rows: Sequence[tuple[str, str, float]], *,
                              session: Any = None) -> None:
        await self.database[POPULATIONS].delete_many({"plan_id": plan_id}, session=session)
        docs = [{"plan_id": plan_id, "chunk": n, "rows": [list(r) for r in rows[start:start + CHUNK]]}
                for n, start in enumerate(range(0, len(rows), CHUNK))]
        if docs:
            await self.database[POPULATIONS].insert_many(docs, session=session)

    async def save_commitment(self, plan_id: str, data: bytes, *, session: Any = None) -> None:
        """The commitment document's canonical bytes as one compressed file (parts of at most 8 MB)."""
        packed = zlib.compress(data, 6)
        await self.database[COMMITMENTS].delete_many({"plan_id": plan_id}, session=session)
        await self.database[COMMITMENTS].insert_many(
            [{"plan_id": plan_id, "part": n, "data": Binary(packed[start:start + PART_BYTES])}
             for n, start in enumerate(range(0, max(len(packed), 1), PART_BYTES))], session=session)

    async def commitment(self, plan_id: str) -> bytes | None:
        """The canonical bytes of a plan's commitment document (None for a plan frozen under v1)."""
        parts = [bytes(doc["data"]) async for doc in
                 self.database[COMMITMENTS].find({"plan_id": plan_id}).sort("part", ASCENDING)]
        return zlib.decompress(b"".join(parts)) if parts else None

    async def population(self, plan_id: str) -> list[tuple[str, str, float]]:
        rows: list[tuple[str, str, float]] = []
        async for doc in self.database[POPULATIONS].find({"plan_id": plan_id}).sort("chunk", ASCENDING):
            rows.extend((r[0], r[1], float(r[2])) for r in doc["rows"])
        return rows

    async def insert_draw(self, draw: Draw, snapshot: Sequence[dict[str, Any]], tasks: Sequence[Task], *,
                          session: Any) -> None:
        doc = draw.model_dump(mode="json", exclude={"id"})
        doc["created_at"] = draw.created_at
        await self.database[DRAWS].insert_one({"_id": draw.id, **doc}, session=session)
        chunks = [{"draw_id": draw.id, "chunk": n, "pool": list(snapshot[s:s + CHUNK])}
                  for n, s in enumerate(range(0, len(snapshot), CHUNK))]
        if chunks:
            await self.database[SNAPSHOTS].insert_many(chunks, session=session)
        if tasks:
            await self.database[TASKS].insert_many([_task_document(t) for t in tasks], session=session)

    async def insert_targeted(self, tasks: list[Task], *, session: Any) -> None:
        """Targeted tasks of one origin; one per enterprise (the unique draw_id + credit_code index)."""
        if tasks:
            await self.database[TASKS].insert_many([_task_document(t) for t in tasks], session=session)

    async def targeted_of(self, origin: str, *, session: Any = None) -> list[Task]:
        docs = await self.database[TASKS].find({"draw_id": origin}, session=session).to_list()
        return [_task(d) for d in docs]

    async def cancel_unstarted(self, origin: str, codes: list[str] | None, reason: str, *, session: Any) -> int:
        """Cancel targeted tasks of ``origin`` (all, or those of ``codes``) on which no work has started."""
        query: dict[str, Any] = {"draw_id": origin, "status": {"$in": ["unstaffed", "assigned"]}}
        if codes is not None:
            query["credit_code"] = {"$in": codes}
        changed = await self.database[TASKS].update_many(
            query, {"$set": {"status": "cancelled", "unstaffed_reason": reason}, "$inc": {"version": 1}},
            session=session)
        return changed.modified_count

    async def staff_task(self, task_id: str, version: int, team: list[str], target: dict[str, Any], *,
                         session: Any) -> bool:
        changed = await self.database[TASKS].update_one(
            {"_id": task_id, "version": version, "status": "unstaffed"},
            {"$set": {"status": "assigned", "inspectors": team, "drawn_inspectors": team, "lead": team[0],
                      "unstaffed_reason": None, "target": target}, "$inc": {"version": 1}}, session=session)
        return changed.matched_count == 1

    async def open_loads(self, staff_ids: list[str]) -> dict[str, int]:
        """Open tasks (assigned or in progress) each inspector holds."""
        teams: dict[str, list[str]] = {}  # by task id: a task found through two chunks counts once
        for part in chunks(staff_ids):
            query = {"inspectors": {"$in": part}, "status": {"$in": ["assigned", "in_progress"]}}
            async for doc in self.database[TASKS].find(query, {"inspectors": 1}):
                teams[doc["_id"]] = doc.get("inspectors", [])
        wanted = set(staff_ids)
        loads: dict[str, int] = {}
        for team in teams.values():
            for staff in team:
                if staff in wanted:
                    loads[staff] = loads.get(staff, 0) + 1
        return loads

    async def reopen(self, task_id: str, target: dict[str, Any], reason: str, *, session: Any) -> None:
        await self.database[TASKS].update_one(
            {"_id": task_id, "status": "cancelled"},
            {"$set": {"status": "unstaffed", "target": target, "unstaffed_reason": reason, "inspectors": [],
                      "lead": None}, "$inc": {"version": 1}}, session=session)

    async def mark_unstaffed(self, task_id: str, version: int, reason: str, *, session: Any) -> None:
        await self.database[TASKS].update_one({"_id": task_id, "version": version, "status": "unstaffed"},
                                              {"$set": {"unstaffed_reason": reason}, "$inc": {"version": 1}},
                                              session=session)

    async def set_target(self, task_id: str, target: dict[str, Any], *, session: Any) -> None:
        await self.database[TASKS].update_one({"_id": task_id}, {"$set": {"target": target}, "$inc": {"version": 1}},
                                              session=session)

    async def redraws(self, plan_id: str) -> list[dict[str, Any]]:
        cursor = self.database[DRAWS].find({"plan_id": plan_id, "kind": "redraw"}, {"_id": 0})
        return await cursor.sort("number", ASCENDING).to_list()

    async def apply_redraw(self, record: dict[str, Any], *, task_id: str, task_version: int,
                           task_changes: dict[str, Any], new_task: Task | None, session: Any) -> bool:
        """Insert the redraw record and change the task if it is still at ``task_version``."""
        changed = await self.database[TASKS].update_one(
            {"_id": task_id, "version": task_version},
            {"$set": task_changes, "$inc": {"version": 1}, "$push": {"redraws": record["_id"]}}, session=session)
        if changed.matched_count != 1:
            return False
        await self.database[DRAWS].insert_one(record, session=session)
        if new_task is not None:
            await self.database[TASKS].insert_one(_task_document(new_task), session=session)
        return True

    async def file_redraw(self, record: dict[str, Any]) -> None:
        """A filed replacement (protocol v2): its number is its id, so two filings cannot take the same one."""
        await self.database[DRAWS].insert_one(record)

    async def complete_redraw(self, redraw_id: str, result: dict[str, Any], *, task_id: str, task_version: int,
                              task_changes: dict[str, Any], new_task: Task | None, session: Any) -> bool:
        """Record a filed replacement's result and change its task, if both are still as read."""
        done = await self.database[DRAWS].update_one({"_id": redraw_id, "public_value": None}, {"$set": result},
                                                     session=session)
        if done.matched_count != 1:
            return False
        changed = await self.database[TASKS].update_one(
            {"_id": task_id, "version": task_version},
            {"$set": task_changes, "$inc": {"version": 1}, "$push": {"redraws": redraw_id}}, session=session)
        if changed.matched_count != 1:
            return False
        if new_task is not None:
            await self.database[TASKS].insert_one(_task_document(new_task), session=session)
        return True

    async def get_task(self, task_id: str) -> Task | None:
        doc = await self.database[TASKS].find_one({"_id": task_id})
        return _task(doc) if doc else None

    async def set_result(self, task_id: str, version: int, result: dict[str, Any]) -> bool:
        changed = await self.database[TASKS].update_one(
            {"_id": task_id, "version": version, "result": None},
            {"$set": {"result": result, "status": "closed"}, "$inc": {"version": 1}})
        return changed.matched_count == 1

    async def open_tasks(self, plan_id: str) -> int:
        """Tasks of a plan still waiting for a result (replaced and unstaffed ones do not count)."""
        return await self.database[TASKS].count_documents(
            {"plan_id": plan_id, "result": None, "status": {"$nin": ["replaced", "unstaffed"]}})

    async def publish_results(self, plan_id: str, at: datetime) -> int:
        changed = await self.database[TASKS].update_many(
            {"plan_id": plan_id, "result": {"$ne": None}, "result_published_at": None},
            {"$set": {"result_published_at": at}})
        return changed.modified_count

    async def _results(self, query: dict[str, Any]) -> list[Task]:
        docs = await self.database[TASKS].find({"result": {"$ne": None}, **query}).sort("credit_code", 1).to_list()
        return [_task(d) for d in docs]

    async def published_results(self, plan_id: str) -> list[Task]:
        return await self._results({"plan_id": plan_id, "result_published_at": {"$ne": None}})

    async def overdue_results(self, jurisdictions: Sequence[str], *, due_before: date) -> list[Task]:
        """Results still unpublished whose publication was due before ``due_before``."""
        return await self._results({"result_published_at": None,
                                    "result.publication_due": {"$lt": due_before.isoformat()},
                                    "jurisdiction_path": {"$in": list(jurisdictions)}})

    async def random_results_in(self, jurisdictions: Sequence[str], year: int) -> list[Task]:
        """Results of random checks completed in ``year``."""
        return await self._results({"kind": "random", "jurisdiction_path": {"$in": list(jurisdictions)},
                                    "result.completed_on": {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}})

    async def unstaffed(self) -> list[Task]:
        """Every task still without a team."""
        docs = await self.database[TASKS].find({"status": "unstaffed"}).to_list()
        return [_task(d) for d in docs]

    async def publish_draw(self, draw_id: str, *, session: Any = None) -> None:
        await self.database[DRAWS].update_one({"_id": draw_id}, {"$set": {"published": True}}, session=session)

    async def get_draw(self, draw_id: str, *, session: Any = None) -> Draw | None:
        """A plan's draw (not a replacement: those are ``redraws``)."""
        doc = await self.database[DRAWS].find_one({"_id": draw_id, "kind": {"$ne": "redraw"}}, session=session)
        return Draw.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()}) if doc else None

    async def replaced_draw(self, redraw_id: str) -> str | None:
        """The id of the draw a replacement belongs to (None if ``redraw_id`` is no replacement)."""
        doc = await self.database[DRAWS].find_one({"_id": redraw_id, "kind": "redraw"}, {"replaces": 1})
        return str(doc["replaces"]) if doc else None

    async def started_tasks(self, plan_id: str, *, session: Any = None) -> int:
        """Tasks of a plan on which work has started (or ended): they keep a cancelled plan from cancelling."""
        return await self.database[TASKS].count_documents(
            {"plan_id": plan_id, "$or": [{"result": {"$ne": None}}, {"status": {"$in": [
                TaskStatus.IN_PROGRESS.value, TaskStatus.SUBMITTED.value, TaskStatus.CLOSED.value]}}]},
            session=session)

    async def cancel_tasks(self, plan_id: str, *, session: Any) -> int:
        """Cancel the unstarted tasks of a plan (assigned or unstaffed; replaced ones stay replaced)."""
        changed = await self.database[TASKS].update_many(
            {"plan_id": plan_id, "status": {"$in": [TaskStatus.ASSIGNED.value, TaskStatus.UNSTAFFED.value]}},
            {"$set": {"status": TaskStatus.CANCELLED.value}, "$inc": {"version": 1}}, session=session)
        return changed.modified_count

    async def snapshot(self, draw_id: str) -> list[dict[str, Any]]:
        pool: list[dict[str, Any]] = []
        async for doc in self.database[SNAPSHOTS].find({"draw_id": draw_id}).sort("chunk", ASCENDING):
            pool.extend(doc["pool"])
        return pool

    async def tasks_of_draw(self, draw_id: str) -> list[Task]:
        docs = await self.database[TASKS].find({"draw_id": draw_id}).sort("credit_code", ASCENDING).to_list()
        return [_task(d) for d in docs]

    async def tasks_of_plan(self, plan_id: str) -> list[Task]:
        docs = await self.database[TASKS].find({"plan_id": plan_id}).sort("credit_code", ASCENDING).to_list()
        return [_task(d) for d in docs]

    async def results_of(self, codes: list[str], limit: int = 10) -> dict[str, list[Task]]:
        """Each enterprise's latest tasks with a recorded result (its past inspections)."""
        found: dict[str, list[Task]] = {}
        for part in chunks(codes):
            # One batch for the lot: the round trips of a page must not grow with the enterprises' history.
            cursor = self.database[TASKS].find({"credit_code": {"$in": part}, "result": {"$ne": None}},
                                               batch_size=100_000)
            async for doc in cursor:
                found.setdefault(doc["credit_code"], []).append(_task(doc))
        return {c: sorted(ts, key=lambda t: t.created_at, reverse=True)[:limit] for c, ts in found.items()}

    async def plans_by_ids(self, plan_ids: list[str]) -> dict[str, Plan]:
        docs = await self.database[PLANS].find({"_id": {"$in": plan_ids}}).to_list()
        return {d["_id"]: _plan(d) for d in docs}

    async def tasks_of_inspector(self, inspector_id: str, *, statuses: Sequence[str] | None, since: datetime | None,
                                 limit: int) -> list[Task]:
        """An inspector's tasks, newest first; of some statuses, created at or after ``since``."""
        query: dict[str, Any] = {"inspectors": inspector_id}
        if statuses:
            query["status"] = {"$in": list(statuses)}
        if since is not None:
            query["created_at"] = {"$gte": since}
        docs = await self.database[TASKS].find(query).sort("created_at", DESCENDING).limit(limit).to_list()
        return [_task(d) for d in docs]

    async def completed_between(self, codes_scope: str, first: date,
                                last: date) -> AsyncIterator[tuple[str, str, str]]:
        """(credit code, task kind, outcome) of every task of a jurisdiction completed from ``first`` to ``last``."""
        cursor = self.database[TASKS].find(
            {"jurisdiction_path": codes_scope, "result": {"$ne": None},
             "result.completed_on": {"$gte": first.isoformat(), "$lte": last.isoformat()}},
            {"credit_code": 1, "kind": 1, "result.outcome": 1})
        async for doc in cursor:
            yield doc["credit_code"], doc.get("kind", "random"), doc["result"]["outcome"]

    async def visits_since(self, codes_scope: str, since: datetime) -> AsyncIterator[dict[str, Any]]:
        """Tasks created since ``since`` in a jurisdiction: credit code, inspectors, creation time."""
        cursor = self.database[TASKS].find(
            {"jurisdiction_path": codes_scope, "created_at": {"$gte": since},
             "status": {"$nin": ["unstaffed", "cancelled"]}},
            {"credit_code": 1, "inspectors": 1, "created_at": 1})
        async for doc in cursor:
            yield doc


class TemplateRepository:
    """Plan templates: the scheduler makes a draft plan of each one every period."""

    def __init__(self, database: Database) -> None:
        self.collection = database[TEMPLATES]

    async def insert(self, template: PlanTemplate) -> None:
        await self.collection.insert_one({"_id": template.id, "cadence": template.cadence,
                                          "settings": template.settings})

    async def all(self) -> list[PlanTemplate]:
        return [PlanTemplate.model_validate({"id": d["_id"], "cadence": d["cadence"], "settings": d["settings"]})
                async for d in self.collection.find({})]


class NoticeRepository:
    """Notices to supervisors (a result overdue for publication, a task without a team), one per id."""

    def __init__(self, database: Database) -> None:
        self.collection = database[NOTICES]

    async def add(self, notices: Sequence[dict[str, Any]], *, at: datetime) -> int:
        """Store the notices not stored yet (by ``_id``); how many were new."""
        new = 0
        for notice in notices:
            result = await self.collection.update_one(
                {"_id": notice["_id"]}, {"$setOnInsert": {**notice, "created_at": at}}, upsert=True)
            new += result.upserted_id is not None
        return new
