"""Storage of meters, bucketed readings (one document per meter per day) and power-usage alerts."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from core.db import IN_CHUNK, CollectionSpec, Database, chunks
from core.nonsite.models import Lead, Meter, PowerAlert

METERS, DAYS, POWER_ALERTS = "meters", "meter_days", "power_alerts"
WRITE_ATTEMPTS = 30  # merge rounds when other writers keep changing the same day buckets
COMPLAINTS, HOTSPOTS, FLIGHTS, LEADS = "complaints", "hotspot_alerts", "drone_flights", "leads"
COLLECTIONS = [
    CollectionSpec(METERS, indexes=[IndexModel([("credit_code", ASCENDING)]),
                                    IndexModel([("jurisdiction_path", ASCENDING)])]),
    CollectionSpec(DAYS, indexes=[IndexModel([("credit_code", ASCENDING), ("day", ASCENDING)]),
                                  IndexModel([("meter_id", ASCENDING), ("day", ASCENDING)])]),
    CollectionSpec(POWER_ALERTS, indexes=[
        IndexModel([("credit_code", ASCENDING), ("kind", ASCENDING), ("starts_at", ASCENDING)], unique=True),
        IndexModel([("stage", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("jurisdiction_path", ASCENDING)])]),
    CollectionSpec(COMPLAINTS, indexes=[IndexModel([("jurisdiction_path", ASCENDING)]),
                                        IndexModel([("credit_code", ASCENDING)])]),
    CollectionSpec(HOTSPOTS, indexes=[IndexModel([("cell_id", ASCENDING), ("date", ASCENDING)], unique=True)]),
    CollectionSpec(FLIGHTS, indexes=[IndexModel([("jurisdiction_path", ASCENDING)])]),
    CollectionSpec(LEADS, indexes=[IndexModel([("source", ASCENDING), ("source_id", ASCENDING)], unique=True),
                                   IndexModel([("jurisdiction_path", ASCENDING), ("created_at", DESCENDING)]),
                                   IndexModel([("credit_code", ASCENDING)])]),
]


def _meter(doc: dict[str, Any]) -> Meter:
    return Meter.model_validate({("meter_id" if k == "_id" else k): v for k, v in doc.items()
                                 if k not in ("jurisdiction_path", "last")})


def _alert(doc: dict[str, Any]) -> PowerAlert:
    return PowerAlert.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()
                                      if k != "jurisdiction_path"})


class MeterRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def upsert_meters(self, meters: list[tuple[Meter, list[str]]]) -> tuple[int, int]:
        """Insert or update meters by id; returns (inserted, updated)."""
        ops = [UpdateOne({"_id": m.meter_id},
                         {"$set": {**m.model_dump(mode="json", exclude={"meter_id", "created_at"}),
                                   "jurisdiction_path": path},
                          "$setOnInsert": {"created_at": m.created_at}}, upsert=True) for m, path in meters]
        if not ops:
            return 0, 0
        result = await self.database[METERS].bulk_write(ops, ordered=False)
        return result.upserted_count, result.modified_count

    async def by_ids(self, meter_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(meter_ids):
            async for doc in self.database[METERS].find({"_id": {"$in": part}}):
                found[doc["_id"]] = doc
        return found

    async def of_enterprises(self, codes: list[str]) -> list[Meter]:
        found = []
        for part in chunks(codes):
            found += [_meter(d) async for d in self.database[METERS].find({"credit_code": {"$in": part}})]
        return found

    async def in_scope(self, scopes: list[str]) -> list[Meter]:
        docs = await self.database[METERS].find({"jurisdiction_path": {"$in": scopes}}).to_list()
        return [_meter(d) for d in docs]

    async def codes_in_scope(self, scopes: list[str]) -> set[str]:
        """Credit codes of the enterprises with an electricity meter within ``scopes``."""
        docs = self.database[METERS].find({"jurisdiction_path": {"$in": scopes}}, {"_id": 0, "credit_code": 1})
        return {d["credit_code"] async for d in docs}

    async def open_alert_codes(self, codes: list[str], start: Any, end: Any) -> set[str]:
        """Enterprises among ``codes`` with a power alert not yet reviewed that overlaps [start, end)."""
        found: set[str] = set()
        for part in chunks(codes):
            query = {"credit_code": {"$in": part}, "stage": {"$ne": "reviewed"},
                     "starts_at": {"$lt": end}, "ends_at": {"$gt": start}}
            found |= {d["credit_code"] async for d in self.database[POWER_ALERTS].find(query, {"credit_code": 1})}
        return found

    async def buckets(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The stored buckets among ``keys``.

        SecantusDB answers an ``$in`` of ids that do not exist cheaply at any length, but one whose
        ids exist slows down steeply past about 100 of them: after a chunk that found nothing (new
        readings) the chunks grow to 1,000; any find brings them back to 100.
        """
        found: dict[str, dict[str, Any]] = {}
        start, size = 0, IN_CHUNK
        while start < len(keys):
            before = len(found)
            async for doc in self.database[DAYS].find({"_id": {"$in": keys[start:start + size]}}, {"r": 1, "v": 1}):
                found[doc["_id"]] = doc
            start += size
            size = IN_CHUNK if len(found) > before else 10 * IN_CHUNK
        return found

    async def write_readings(self, buckets: dict[str, dict[str, Any]], *, assume_new: bool = False) -> tuple[int, int]:
        """Merge the batch into its day buckets; returns (buckets created, buckets changed).

        Merged in the client and written whole: SecantusDB's cost of a ``$set`` grows steeply with
        the number of dotted paths, and an unchanged bucket (a replay) is not written at all. A
        bucket is created with ``insert_many`` and replaced under its version ``v``; a lost race
        (another writer created or changed it) is merged again. ``assume_new`` skips the first
        look-up (new readings): the buckets that already exist fail to insert and are merged.
        """
        created = changed = 0
        pending = dict(buckets)
        if assume_new:
            inserted, pending = await self._insert(pending, set())
            created += inserted
        for attempt in range(WRITE_ATTEMPTS):
            if not pending:
                break
            if attempt:  # concurrent writers on the same buckets: step aside a little, at random
                await asyncio.sleep(random.uniform(0, 0.02 * attempt))
            stored = await self.buckets(list(pending))
            inserted, retry = await self._insert(pending, set(stored))
            created += inserted
            replaces = []
            for key, doc in stored.items():
                merged = {**doc.get("r", {}), **pending[key]["r"]}
                if merged != doc.get("r", {}):
                    replaces.append((key, doc.get("v", 1), merged))
            if replaces:
                ops = [ReplaceOne({"_id": key, "v": version},
                                  {"meter_id": pending[key]["meter_id"], "day": pending[key]["day"],
                                   "credit_code": pending[key]["credit_code"], "r": merged, "v": version + 1})
                       for key, version, merged in replaces]
                done = await self.database[DAYS].bulk_write(ops, ordered=False)
                changed += done.matched_count
                if done.matched_count != len(ops):  # someone else changed some of them: merge those again
                    # Which replaces lost is read from the content, not the version: the other
                    # writer's replace leaves the same version number behind.
                    now = await self.buckets([key for key, _, _ in replaces])
                    retry.update({key: pending[key] for key, _, _ in replaces
                                  if not _contains(now.get(key, {}).get("r", {}), pending[key]["r"])})
            pending = retry
        if pending:
            raise RuntimeError(f"{len(pending)} day buckets kept changing while readings were written")
        return created, changed

    async def _insert(self, pending: dict[str, dict[str, Any]],
                      stored: set[str]) -> tuple[int, dict[str, dict[str, Any]]]:
        """Insert the buckets not in ``stored``; returns (inserted, the ones that turned out to exist)."""
        new = [{"_id": k, "meter_id": b["meter_id"], "day": b["day"], "credit_code": b["credit_code"],
                "r": b["r"], "v": 1} for k, b in pending.items() if k not in stored]
        if not new:
            return 0, {}
        try:
            return len((await self.database[DAYS].insert_many(new, ordered=False)).inserted_ids), {}
        except BulkWriteError as exc:
            lost = {new[e["index"]]["_id"] for e in exc.details.get("writeErrors", []) if e.get("code") == 11000}
            if len(lost) < len(exc.details.get("writeErrors", [])):
                raise
            return exc.details.get("nInserted", 0), {k: pending[k] for k in lost}

    async def set_last(self, last: dict[str, tuple[datetime, float | None]]) -> None:
        # "$not $gte" also matches a meter without a last reading; an $or here made SecantusDB scan.
        ops = [UpdateOne({"_id": meter_id, "last.ts": {"$not": {"$gte": ts}}},
                         {"$set": {"last": {"ts": ts, "kwh": kwh}}}) for meter_id, (ts, kwh) in last.items()]
        if ops:
            await self.database[METERS].bulk_write(ops, ordered=False)

    async def days(self, *, codes: list[str] | None = None, meter_ids: list[str] | None = None,
                   day_keys: list[str]) -> list[dict[str, Any]]:
        field, values = ("credit_code", codes) if codes is not None else ("meter_id", meter_ids or [])
        found = []
        for part in chunks(values):
            found += await self.database[DAYS].find({field: {"$in": part}, "day": {"$in": day_keys}}).to_list()
        return found

    # -- power alerts ------------------------------------------------------------------------------
    async def insert_alerts(self, alerts: Iterable[tuple[PowerAlert, list[str]]]) -> int:
        """Insert alerts not yet known (the unique enterprise+kind+start key makes rescans idempotent)."""
        created = 0
        for alert, path in alerts:
            try:
                await self.database[POWER_ALERTS].insert_one(
                    {"_id": alert.id, **alert.model_dump(exclude={"id"}), "jurisdiction_path": path})
                created += 1
            except DuplicateKeyError:
                continue
        return created

    async def alert(self, alert_id: str) -> PowerAlert | None:
        doc = await self.database[POWER_ALERTS].find_one({"_id": alert_id})
        return _alert(doc) if doc else None

    async def alerts(self, scopes: list[str], *, open_only: bool, credit_code: str | None = None,
                     limit: int = 200) -> list[PowerAlert]:
        query: dict[str, Any] = {"jurisdiction_path": {"$in": scopes}}
        if credit_code:
            query["credit_code"] = credit_code.strip().upper()
        if open_only:
            query["stage"] = {"$ne": "reviewed"}
        docs = await self.database[POWER_ALERTS].find(query).sort("created_at", DESCENDING).limit(limit).to_list()
        return [_alert(d) for d in docs]

    async def advance(self, alert_id: str, version: int, changes: dict[str, Any],
                      entry: dict[str, Any]) -> PowerAlert | None:
        doc = await self.database[POWER_ALERTS].find_one_and_update(
            {"_id": alert_id, "version": version},
            {"$set": changes, "$inc": {"version": 1}, "$push": {"history": entry}},
            return_document=ReturnDocument.AFTER)
        return _alert(doc) if doc else None

    async def alerts_of(self, codes: list[str]) -> dict[str, list[PowerAlert]]:
        found: dict[str, list[PowerAlert]] = defaultdict(list)
        for part in chunks(codes):
            async for doc in self.database[POWER_ALERTS].find({"credit_code": {"$in": part}}):
                found[doc["credit_code"]].append(_alert(doc))
        return found

    async def link_lead(self, alert_id: str, lead_id: str, *, session: Any) -> None:
        await self.database[POWER_ALERTS].update_one({"_id": alert_id}, {"$set": {"lead_id": lead_id},
                                                                         "$inc": {"version": 1}}, session=session)

    async def link_task(self, alert_id: str, task_id: str, *, session: Any) -> None:
        await self.database[POWER_ALERTS].update_one({"_id": alert_id}, {"$set": {"task_id": task_id},
                                                                         "$inc": {"version": 1}}, session=session)

    # -- drone flights -----------------------------------------------------------------------------
    async def flight(self, flight_id: str) -> dict[str, Any] | None:
        return await self.database[FLIGHTS].find_one({"_id": flight_id})

    async def insert_flight(self, doc: dict[str, Any]) -> bool:
        try:
            await self.database[FLIGHTS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def sites_near(self, jurisdiction: str, points: Any, radius_m: float) -> list[dict[str, Any]]:
        """Enterprises of the jurisdiction with a boundary or a location inside the track's box (plus margin)."""
        margin = radius_m / 90_000 + 0.01  # degrees; generous, the geometry decides exactly
        lats = [p.lat for p in points]
        lons = [p.lon for p in points]
        box = (min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin)
        fields = {"credit_code": 1, "name": 1, "location": 1, "boundary": 1}
        found = []
        async for doc in self.database["enterprises"].find({"jurisdiction_path": jurisdiction}, fields):
            location = (doc.get("location") or {}).get("coordinates")
            near = location is not None and box[0] <= location[1] <= box[1] and box[2] <= location[0] <= box[3]
            if near or doc.get("boundary"):
                found.append(doc)
        return found

    async def photo_positions(self, evidence_ids: list[str]) -> dict[str, tuple[Any, Any, Any]]:
        """(lat, lon, taken_at) from the EXIF read at upload, for completed photo evidence."""
        found: dict[str, tuple[Any, Any, Any]] = {}
        for part in chunks(evidence_ids):
            async for doc in self.database["evidence"].find({"_id": {"$in": part}}, {"metadata": 1}):
                exif = (doc.get("metadata") or {}).get("exif") or {}
                found[doc["_id"]] = (exif.get("latitude"), exif.get("longitude"), exif.get("taken_at"))
        return found

    # -- complaints and hotspot cells --------------------------------------------------------------
    async def insert_complaint(self, doc: dict[str, Any], *, session: Any) -> None:
        await self.database[COMPLAINTS].insert_one(doc, session=session)

    async def complaint(self, complaint_id: str) -> dict[str, Any] | None:
        return await self.database[COMPLAINTS].find_one({"_id": complaint_id})

    async def close_complaint(self, complaint_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return await self.database[COMPLAINTS].find_one_and_update(
            {"_id": complaint_id, "status": "received"}, {"$set": changes}, return_document=ReturnDocument.AFTER)

    async def complaints(self, *, jurisdictions: list[str], status: str | None) -> list[dict[str, Any]]:
        """The newest 200 complaints in the jurisdictions (or below), in one status if given."""
        query: dict[str, Any] = {"jurisdiction_path": {"$in": jurisdictions}}
        if status:
            query["status"] = status
        return await self.database[COMPLAINTS].find(query).sort("received_at", DESCENDING).limit(200).to_list()

    async def link_complaint(self, complaint_id: str, changes: dict[str, Any], *,
                             session: Any) -> dict[str, Any] | None:
        """Set the enterprise of a complaint that has none and is still being handled (None otherwise)."""
        return await self.database[COMPLAINTS].find_one_and_update(
            {"_id": complaint_id, "status": "received", "credit_code": None}, {"$set": changes},
            return_document=ReturnDocument.AFTER, session=session)

    async def overdue_complaints(self, jurisdictions: list[str], today: str) -> list[dict[str, Any]]:
        """Complaints still received (not closed) whose due day is before ``today``, oldest due first."""
        query = {"jurisdiction_path": {"$in": jurisdictions}, "status": "received", "due_on": {"$lt": today}}
        return await self.database[COMPLAINTS].find(query).sort("due_on", ASCENDING).limit(500).to_list()

    async def insert_hotspot(self, doc: dict[str, Any], *, session: Any) -> None:
        await self.database[HOTSPOTS].insert_one(doc, session=session)

    async def hotspot(self, key: str) -> dict[str, Any] | None:
        return await self.database[HOTSPOTS].find_one({"_id": key})


def _contains(stored: dict[str, Any], readings: dict[str, Any]) -> bool:
    return all(stored.get(minute) == value for minute, value in readings.items())


class LeadRepository:
    """Leads on enterprises; one per (source, source id) by a unique index."""

    def __init__(self, database: Database) -> None:
        self.collection = database[LEADS]

    @staticmethod
    def _lead(doc: dict[str, Any]) -> Lead:
        return Lead.model_validate({("id" if k == "_id" else k): v for k, v in doc.items() if k != "jurisdiction_path"})

    async def insert(self, lead: Lead, path: list[str], *, session: Any) -> None:
        """Raises DuplicateKeyError when the source already has its lead: inside a transaction the error
        aborts it, so the caller catches it outside and reads the stored lead."""
        await self.collection.insert_one({"_id": lead.id, **lead.model_dump(exclude={"id"}),
                                          "jurisdiction_path": path}, session=session)

    async def get(self, lead_id: str, *, session: Any = None) -> Lead | None:
        doc = await self.collection.find_one({"_id": lead_id}, session=session)
        return self._lead(doc) if doc else None

    async def of_source(self, source: str, source_id: str, *, session: Any = None) -> Lead | None:
        doc = await self.collection.find_one({"source": source, "source_id": source_id}, session=session)
        return self._lead(doc) if doc else None

    async def update(self, lead_id: str, version: int, changes: dict[str, Any], *, session: Any = None) -> Lead | None:
        doc = await self.collection.find_one_and_update(
            {"_id": lead_id, "version": version}, {"$set": changes, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=session)
        return self._lead(doc) if doc else None

    async def list_leads(self, scopes: list[str], *, status: str | None, credit_code: str | None,
                         limit: int) -> list[Lead]:
        query: dict[str, Any] = {"jurisdiction_path": {"$in": scopes}}
        if status:
            query["status"] = status
        if credit_code:
            query["credit_code"] = credit_code.strip().upper()
        docs = await self.collection.find(query).sort("created_at", DESCENDING).limit(limit).to_list()
        return [self._lead(d) for d in docs]
