"""Storage of field work: the append-only record log, inspections, chains, processed ops, conflicts.

The only pymongo code of the fieldwork package. One push is read with a handful of queries and
written in one transaction whose guards (unique ids, versions) make a concurrent duplicate fail
and retry instead of writing twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, UpdateOne

from core import counters
from core.config import Settings
from core.db import CollectionSpec, Database, chunks
from core.fieldwork.models import Checklist

LOG, INSPECTIONS, CHAINS = "field_log", "field_inspections", "field_chains"
SYNC_OPS, CONFLICTS, REJECTIONS, CHECKLISTS = "sync_ops", "sync_conflicts", "sync_rejections", "checklists"
SEQ = "field_seq"


class RetryBatch(Exception):
    """A guard failed because something changed meanwhile: re-read and apply the batch again."""


def collections(settings: Settings) -> list[CollectionSpec]:
    """The collections of field work; the TTL of processed op ids comes from the settings."""
    retention_s = settings.sync_op_retention_days * 86400
    return [
        CollectionSpec(LOG, indexes=[IndexModel([("record_id", ASCENDING), ("version", ASCENDING)], unique=True),
                                     IndexModel([("seq", ASCENDING)], unique=True),
                                     IndexModel([("task_id", ASCENDING), ("seq", ASCENDING)])]),
        CollectionSpec(INSPECTIONS, indexes=[IndexModel([("task_id", ASCENDING)])]),
        CollectionSpec(CHAINS),
        # Processed op ids are kept for SYNC_OP_RETENTION_DAYS (TTL); the log itself is kept for ever.
        CollectionSpec(SYNC_OPS, indexes=[IndexModel([("at", ASCENDING)], expireAfterSeconds=retention_s)]),
        CollectionSpec(CONFLICTS, indexes=[IndexModel([("status", ASCENDING), ("at", DESCENDING)]),
                                           IndexModel([("task_id", ASCENDING)])]),
        CollectionSpec(REJECTIONS, indexes=[IndexModel([("task_id", ASCENDING), ("at", DESCENDING)])]),
        CollectionSpec(CHECKLISTS, indexes=[IndexModel([("matter", ASCENDING), ("version", ASCENDING)],
                                                       unique=True)]),
    ]


def _checklist(doc: dict[str, Any]) -> Checklist:
    return Checklist.model_validate({("id" if k == "_id" else k): v for k, v in doc.items() if k != "active"})


def _number(entries: list[dict[str, Any]], ops: list[dict[str, Any]], first: int) -> None:
    """Give the log entries their change sequence from ``first`` on, and each op's result its entry's."""
    for offset, entry in enumerate(entries):
        entry["seq"] = first + offset
    seqs = {e["_id"]: e["seq"] for e in entries}
    for op in ops:
        if op["_id"] in seqs:
            op["result"]["seq"] = seqs[op["_id"]]


class FieldRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- reading a batch ---------------------------------------------------------------------------
    async def processed(self, op_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(op_ids):
            async for doc in self.database[SYNC_OPS].find({"_id": {"$in": part}}):
                found[doc["_id"]] = doc
        return found

    async def tasks(self, task_ids: list[str]) -> list[dict[str, Any]]:
        return await self.database["tasks"].find({"_id": {"$in": task_ids}}).to_list()

    async def chains(self, task_ids: list[str]) -> dict[str, dict[str, Any]]:
        docs = await self.database[CHAINS].find({"_id": {"$in": task_ids}}).to_list()
        return {d["_id"]: d for d in docs}

    async def inspections_of(self, task_ids: list[str]) -> list[dict[str, Any]]:
        return await self.database[INSPECTIONS].find({"task_id": {"$in": task_ids}}).to_list()

    async def heads(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The latest log entry of each record."""
        latest: dict[str, dict[str, Any]] = {}
        fields = {"record_id": 1, "kind": 1, "inspection_id": 1, "version": 1, "body": 1, "body_hash": 1,
                  "author": 1}
        for part in chunks(record_ids):
            async for doc in self.database[LOG].find({"record_id": {"$in": part}}, fields):
                if doc["record_id"] not in latest or doc["version"] > latest[doc["record_id"]]["version"]:
                    latest[doc["record_id"]] = doc
        return latest

    async def locations(self, codes: list[str]) -> dict[str, tuple[float, float]]:
        docs = await self.database["enterprises"].find({"credit_code": {"$in": codes}},
                                                       {"credit_code": 1, "location": 1}).to_list()
        # Stored as GeoJSON points: coordinates are [lon, lat].
        return {d["credit_code"]: (d["location"]["coordinates"][1], d["location"]["coordinates"][0])
                for d in docs if d.get("location")}

    async def inspector(self, staff_id: str) -> dict[str, Any] | None:
        return await self.database["inspectors"].find_one({"staff_id": staff_id})

    async def checklists(self, ids: list[str]) -> dict[str, Checklist]:
        docs = await self.database[CHECKLISTS].find({"_id": {"$in": ids}}).to_list()
        return {d["_id"]: _checklist(d) for d in docs}

    # -- writing a batch ---------------------------------------------------------------------------
    async def commit(self, *, ops: list[dict[str, Any]], entries: list[dict[str, Any]],
                     inspections: list[tuple[dict[str, Any], int]], chains: list[tuple[str, str, int, int]],
                     tasks: list[tuple[str, int, str]], registrations: list[dict[str, Any]],
                     withdrawals: list[str] | None = None, events: list[dict[str, Any]],
                     conflicts: list[dict[str, Any]],
                     rejections: list[dict[str, Any]], session: Any) -> int:
        """Write one push; returns the first seq given to ``entries``. Raises RetryBatch on a lost race.

        The guards go first, so that a lost race aborts before much is sent; the change-sequence
        counter, which every push takes, goes last, so that it is held for as short a time as can be.
        """
        for doc, expected in inspections:
            await self._write_inspection(doc, expected, session)
        for task_id, head, length, expected in chains:
            await self._advance_chain(task_id, head, length, expected, session)
        if tasks:
            await self._set_task_statuses(tasks, session)
        if registrations:
            await self.database["evidence"].insert_many(registrations, session=session)
        for evidence_id in withdrawals or ():  # only while its upload has not completed meanwhile
            done = await self.database["evidence"].update_one({"_id": evidence_id, "status": "pending"},
                                                              {"$set": {"status": "withdrawn"}}, session=session)
            if done.matched_count != 1:
                raise RetryBatch(f"evidence {evidence_id} changed meanwhile")
        for event in events:  # one per task: a corrected inspection keeps the first date
            body = {k: v for k, v in event.items() if k != "_id"}
            await self.database["enterprise_events"].update_one({"_id": event["_id"]}, {"$setOnInsert": body},
                                                                upsert=True, session=session)
        if conflicts:
            await self.database[CONFLICTS].insert_many(conflicts, session=session)
        if rejections:
            await self.database[REJECTIONS].insert_many(rejections, session=session)
        first = await counters.reserve(self.database, SEQ, len(entries), session=session) if entries else 0
        _number(entries, ops, first)
        if ops:
            await self.database[SYNC_OPS].insert_many(ops, ordered=True, session=session)
        if entries:
            await self.database[LOG].insert_many(entries, ordered=True, session=session)
        return first

    async def _write_inspection(self, doc: dict[str, Any], expected: int, session: Any) -> None:
        if expected == 0:
            await self.database[INSPECTIONS].insert_one(doc, session=session)
            return
        done = await self.database[INSPECTIONS].replace_one({"_id": doc["_id"], "version": expected}, doc,
                                                            session=session)
        if done.matched_count != 1:
            raise RetryBatch(f"inspection {doc['_id']} changed meanwhile")

    async def _set_task_statuses(self, tasks: list[tuple[str, int, str]], session: Any) -> None:
        result = await self.database["tasks"].bulk_write(
            [UpdateOne({"_id": t, "version": v}, {"$set": {"status": s}, "$inc": {"version": 1}})
             for t, v, s in tasks], session=session)
        if result.matched_count != len(tasks):
            raise RetryBatch("a task changed meanwhile")

    async def _advance_chain(self, task_id: str, head: str, length: int, expected: int, session: Any) -> None:
        if expected == 0:
            await self.database[CHAINS].insert_one({"_id": task_id, "head": head, "length": length, "version": 1},
                                                   session=session)
            return
        done = await self.database[CHAINS].update_one(
            {"_id": task_id, "version": expected}, {"$set": {"head": head, "length": length},
                                                    "$inc": {"version": 1}}, session=session)
        if done.matched_count != 1:
            raise RetryBatch(f"the chain of task {task_id} moved meanwhile")

    async def reject(self, rejections: list[dict[str, Any]]) -> None:
        """What a device sent and was refused: kept so that nothing it sent disappears silently."""
        if rejections:
            await self.database[REJECTIONS].bulk_write([InsertOne(r) for r in rejections])

    # -- reading for pulls, views and verification -------------------------------------------------
    async def changes(self, task_ids: list[str], since: int, limit: int) -> list[dict[str, Any]]:
        # The seq range goes first so that SecantusDB walks the seq index from ``since``.
        query = {"seq": {"$gt": since}, "task_id": {"$in": task_ids}}
        return await self.database[LOG].find(query).sort("seq", ASCENDING).limit(limit).to_list()

    async def tasks_of_inspector(self, staff_id: str) -> list[dict[str, Any]]:
        """Tasks the inspector is or was on (removed ones included, so the device can purge them)."""
        fields = {"inspectors": 1, "status": 1, "removed_inspectors": 1}
        query = {"$or": [{"inspectors": staff_id}, {"removed_inspectors": staff_id}]}
        return await self.database["tasks"].find(query, fields).to_list()

    async def log_of(self, task_id: str) -> AsyncIterator[dict[str, Any]]:
        async for doc in self.database[LOG].find({"task_id": task_id}).sort("seq", ASCENDING):
            yield doc

    async def chain(self, task_id: str) -> dict[str, Any] | None:
        return await self.database[CHAINS].find_one({"_id": task_id})

    async def inspection(self, inspection_id: str) -> dict[str, Any] | None:
        return await self.database[INSPECTIONS].find_one({"_id": inspection_id})

    async def inspections_by_ids(self, inspection_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(inspection_ids):
            async for doc in self.database[INSPECTIONS].find({"_id": {"$in": part}}):
                found[doc["_id"]] = doc
        return found

    async def conflicts(self, task_ids: list[str] | None, status: str = "open") -> list[dict[str, Any]]:
        query: dict[str, Any] = {"status": status}
        if task_ids is not None:
            query["task_id"] = {"$in": task_ids}
        return await self.database[CONFLICTS].find(query).sort("at", DESCENDING).limit(200).to_list()

    async def resolve_conflict(self, conflict_id: str, resolution: dict[str, Any], at: datetime) -> bool:
        done = await self.database[CONFLICTS].update_one(
            {"_id": conflict_id, "status": "open"}, {"$set": {"status": "resolved", "resolution": resolution,
                                                              "resolved_at": at}})
        return done.matched_count == 1

    # -- the supervisor's view (oversight) ---------------------------------------------------------------
    async def task_statuses(self, scope: list[str], *, plan_id: str | None = None, origin: str | None = None
                            ) -> dict[str, str]:
        """Status by task id of the tasks in ``scope`` (divisions and below), of one plan or targeted origin."""
        query: dict[str, Any] = {"jurisdiction_path": {"$in": scope}}
        if plan_id:
            query["plan_id"] = plan_id
        if origin:
            query["draw_id"] = origin
        return {d["_id"]: d["status"] async for d in self.database["tasks"].find(query, {"status": 1})}

    async def task_ids_in(self, scope: list[str]) -> list[str]:
        """The ids of the tasks in ``scope`` (divisions and below)."""
        query = {"jurisdiction_path": {"$in": scope}}
        return [d["_id"] for d in await self.database["tasks"].find(query, {"_id": 1}).to_list()]

    async def task_in_scope(self, task_id: str, scope: list[str]) -> bool:
        query = {"_id": task_id, "jurisdiction_path": {"$in": scope}}
        return await self.database["tasks"].find_one(query, {"_id": 1}) is not None

    async def open_conflict_count(self, task_ids: list[str]) -> int:
        return await self.database[CONFLICTS].count_documents({"task_id": {"$in": task_ids}, "status": "open"})

    async def pending_evidence_count(self, task_ids: list[str]) -> int:
        return await self.database["evidence"].count_documents({"task_id": {"$in": task_ids}, "status": "pending"})

    async def pending_evidence(self, task_ids: list[str], limit: int = 200) -> list[dict[str, Any]]:
        query = {"task_id": {"$in": task_ids}, "status": "pending"}
        return await self.database["evidence"].find(query).sort("registered_at", ASCENDING).limit(limit).to_list()

    async def current_inspections(self, task_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(task_ids):
            async for doc in self.database[INSPECTIONS].find({"task_id": {"$in": part}, "superseded_by": None}):
                found[doc["task_id"]] = doc
        return found

    async def evidence(self, evidence_id: str) -> dict[str, Any] | None:
        return await self.database["evidence"].find_one({"_id": evidence_id})

    async def file_chunks(self, file_id: str) -> AsyncIterator[bytes]:
        """The bytes of a stored (GridFS-layout) file, chunk by chunk, never the whole file at once."""
        async for doc in self.database["fs.chunks"].find({"files_id": file_id}).sort("n", ASCENDING):
            yield bytes(doc["data"])

    async def enterprise(self, credit_code: str) -> dict[str, Any] | None:
        return await self.database["enterprises"].find_one({"credit_code": credit_code})

    async def inspectors(self, staff_ids: list[str]) -> dict[str, dict[str, Any]]:
        docs = await self.database["inspectors"].find({"staff_id": {"$in": staff_ids}}).to_list()
        return {d["staff_id"]: d for d in docs}

    async def set_evidence_states(self, inspection_id: str, version: int, states: dict[str, str],
                                  status: str) -> bool:
        done = await self.database[INSPECTIONS].update_one(
            {"_id": inspection_id, "version": version},
            {"$set": {"evidence": states, "status": status}, "$inc": {"version": 1}})
        return done.matched_count == 1

    async def evidence_states(self, evidence_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in chunks(evidence_ids):
            async for doc in self.database["evidence"].find({"_id": {"$in": part}}, {"status": 1}):
                found[doc["_id"]] = doc["status"]
        return found

    async def matter_exists(self, code: str) -> bool:
        return await self.database["matters"].find_one({"code": code}, {"_id": 1}) is not None

    async def insert_checklist(self, checklist: Checklist) -> None:
        """Raises DuplicateKeyError when that version number was taken meanwhile."""
        await self.database[CHECKLISTS].insert_one(
            {"_id": checklist.id, **checklist.model_dump(mode="json", exclude={"id", "created_at"}),
             "created_at": checklist.created_at})

    async def checklists_of(self, matters: list[str]) -> list[Checklist]:
        return [_checklist(d) async for d in self.database[CHECKLISTS].find({"matter": {"$in": matters}})]

    async def conflict(self, conflict_id: str) -> dict[str, Any] | None:
        return await self.database[CONFLICTS].find_one({"_id": conflict_id})
