"""Storage of registry records: enterprises, their change history, inspectors and matters."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, InsertOne, UpdateOne
from pymongo.errors import BulkWriteError

from core import counters
from core.db import CollectionSpec, Database, chunks
from core.pagination import read_page
from core.reference import tables
from core.registry.models import Enterprise, EnterpriseData, EnterpriseFilter, Inspector, InspectorData, Matter

ENTERPRISES = "enterprises"
ENTERPRISE_HISTORY = "enterprise_history"
INSPECTORS = "inspectors"
MATTERS = "matters"
# The registry fields that policies and plans decide on (see core/policies/facts.py).
DECISION_FIELDS = {"credit_code": 1, "name": 1, "jurisdiction": 1, "industry_code": 1, "credit": 1,
                   "key_discharger": 1, "emergency_risk": 1, "positive_list": 1, "online_monitoring": 1, "permit": 1,
                   "performance": 1, "guarantee": 1}

_ENTERPRISE_SCHEMA = {
    "bsonType": "object",
    "required": ["credit_code", "name", "jurisdiction", "jurisdiction_path", "industry_code",
                 "version", "seq", "content_hash"],
    "properties": {
        "credit_code": {"bsonType": "string", "minLength": 18, "maxLength": 18},
        "name": {"bsonType": "string", "minLength": 1},
        "jurisdiction": {"bsonType": "string"},
        "jurisdiction_path": {"bsonType": "array", "items": {"bsonType": "string"}},
        "version": {"bsonType": ["int", "long"], "minimum": 1},
        "seq": {"bsonType": ["int", "long"], "minimum": 1},
        "content_hash": {"bsonType": "string"},
    },
}

COLLECTIONS = [
    CollectionSpec(
        ENTERPRISES,
        indexes=[
            IndexModel([("credit_code", ASCENDING)], unique=True, name="credit_code_unique"),
            IndexModel([("seq", ASCENDING)], unique=True, name="seq_unique"),
            IndexModel([("jurisdiction_path", ASCENDING), ("seq", ASCENDING)], name="scope_seq"),
        ],
        json_schema=_ENTERPRISE_SCHEMA,
    ),
    CollectionSpec(
        ENTERPRISE_HISTORY,
        indexes=[IndexModel([("credit_code", ASCENDING), ("version", ASCENDING)], unique=True)],
    ),
    CollectionSpec(
        INSPECTORS,
        indexes=[
            IndexModel([("staff_id", ASCENDING)], unique=True, name="staff_id_unique"),
            IndexModel([("seq", ASCENDING)], unique=True, name="seq_unique"),
            IndexModel([("jurisdiction_path", ASCENDING), ("seq", ASCENDING)], name="scope_seq"),
        ],
    ),
    CollectionSpec(MATTERS, indexes=[IndexModel([("code", ASCENDING)], unique=True)]),
]


# A selection of enterprises for the readers that stream them (``EnterpriseRepository.stream``: policy
# decisions, alert measures), built here so that only this module knows the document's shape.
EnterpriseQuery = dict[str, Any]


def with_code(credit_code: str) -> EnterpriseQuery:
    return {"credit_code": credit_code}


def of_import(import_id: str) -> EnterpriseQuery:
    """The enterprises an import inserted or changed."""
    return {"import_id": import_id}


def in_jurisdictions(jurisdictions: Sequence[str]) -> EnterpriseQuery:
    """The enterprises in (or below) any of ``jurisdictions``."""
    return {"jurisdiction_path": {"$in": list(jurisdictions)}}


def _within(scope: Sequence[str], jurisdiction: str | None) -> dict[str, Any]:
    """Records in ``scope``, or in the one ``jurisdiction`` asked for (inside the scope: the service checks)."""
    return {"jurisdiction_path": jurisdiction} if jurisdiction is not None else in_jurisdictions(scope)


def _listing(scope: Sequence[str], where: EnterpriseFilter) -> dict[str, Any]:
    query = _within(scope, where.jurisdiction)
    if where.industry_code:
        query["industry_code"] = where.industry_code
    if where.credit_tier:
        query["credit.tier"] = where.credit_tier.value
    if where.key_discharger is not None:
        query["key_discharger"] = where.key_discharger
    if where.name_contains:
        query["name"] = {"$regex": re.escape(where.name_contains), "$options": "i"}
    if where.credit_code_prefix:  # anchored: the credit-code index serves it
        query["credit_code"] = {"$regex": "^" + re.escape(where.credit_code_prefix.upper())}
    return query


def enterprise_document(record: EnterpriseData, *, content_hash: str) -> dict[str, Any]:
    doc = record.model_dump(mode="json", exclude={"location", "boundary"})
    doc["location"] = record.location.geojson() if record.location else None
    doc["boundary"] = record.boundary.geojson() if record.boundary else None
    doc["jurisdiction_path"] = tables.ancestors(record.jurisdiction)
    doc["content_hash"] = content_hash
    return doc


def _enterprise(doc: dict[str, Any]) -> Enterprise:
    data = {k: v for k, v in doc.items() if k not in {"_id", "jurisdiction_path", "content_hash",
                                                      "import_id"}}
    if data.get("location"):
        lon, lat = data["location"]["coordinates"]
        data["location"] = {"lon": lon, "lat": lat}
    if data.get("boundary"):
        data["boundary"] = {"coordinates": data["boundary"]["coordinates"]}
    return Enterprise.model_validate(data)


class EnterpriseRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.collection = database[ENTERPRISES]

    async def by_codes(self, codes: list[str], *, session: Any = None) -> dict[str, Enterprise]:
        found: dict[str, Enterprise] = {}
        for part in chunks(codes):
            async for doc in self.collection.find({"credit_code": {"$in": part}}, session=session):
                found[doc["credit_code"]] = _enterprise(doc)
        return found

    async def any_exists(self) -> bool:
        """Whether the registry holds any enterprise."""
        return await self.collection.find_one({}, {"_id": 1}) is not None

    async def page(self, *, scope: Sequence[str], where: EnterpriseFilter, after: int, first: int
                   ) -> tuple[list[Enterprise], bool]:
        """Enterprises in ``scope`` (divisions and below) matching ``where``, in registry order after seq
        ``after``: at most ``first``, and whether more exist. ``where.jurisdiction`` must lie inside ``scope``."""
        query = _listing(scope, where)

        async def fetch(low: int, high: int, limit: int) -> list[dict[str, Any]]:
            return await self._window(query, low, high, limit)

        docs, more = await read_page(fetch, after=after, first=first,
                                     limit_pushdown=self.database.profile.limit_pushdown,
                                     max_seq=await counters.current(self.database, ENTERPRISES))
        return [_enterprise(d) for d in docs], more

    async def count(self, *, scope: Sequence[str], where: EnterpriseFilter) -> int:
        return int(await self.collection.count_documents(_listing(scope, where)))

    async def count_matching(self, query: EnterpriseQuery) -> int:
        """How many enterprises match ``query`` (the total a progress bar shows)."""
        return await self.collection.count_documents(query)

    async def stream(self, query: EnterpriseQuery, *, batch: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
        """The decision fields of every matching enterprise, in batches (flat memory over millions)."""
        part: list[dict[str, Any]] = []
        async for doc in self.collection.find(query, DECISION_FIELDS):
            part.append(doc)
            if len(part) == batch:
                yield part
                part = []
        if part:
            yield part

    async def stream_by_code(self, query: EnterpriseQuery, *, after: str = "",
                             batch: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
        """``stream`` in credit-code order from after ``after``: a job that stops can resume where it was."""
        part: list[dict[str, Any]] = []
        # The range goes first so that the credit-code index is walked (see _window).
        cursor = self.collection.find({"credit_code": {"$gt": after}, **query}, DECISION_FIELDS)
        async for doc in cursor.sort("credit_code", ASCENDING):
            part.append(doc)
            if len(part) == batch:
                yield part
                part = []
        if part:
            yield part

    def stream_population(self, jurisdiction: str, industry_codes: list[str], *,
                          batch: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
        """``stream`` over the enterprises of a division (and its sub-divisions), of some industries if given."""
        query: dict[str, Any] = {"jurisdiction_path": jurisdiction}
        if industry_codes:
            query["industry_code"] = {"$in": industry_codes}
        return self.stream(query, batch=batch)

    async def labels(self, codes: list[str]) -> dict[str, tuple[str, str]]:
        """(name, jurisdiction) of each enterprise, by credit code."""
        found: dict[str, tuple[str, str]] = {}
        for part in chunks(codes):
            async for doc in self.collection.find({"credit_code": {"$in": part}},
                                                  {"credit_code": 1, "name": 1, "jurisdiction": 1}):
                found[doc["credit_code"]] = (doc["name"], doc["jurisdiction"])
        return found

    async def codes_where(self, query: dict[str, Any], *, limit: int) -> list[str]:
        docs = await self.collection.find(query, {"credit_code": 1}).sort("seq", ASCENDING).limit(limit).to_list()
        return [d["credit_code"] for d in docs]

    async def _window(
        self, filters: dict[str, Any], low: int, high: int, limit: int
    ) -> list[dict[str, Any]]:
        # The range goes first: SecantusDB then walks the seq index instead of every match of the filters.
        query = {"seq": {"$gt": low, "$lte": high}, **filters}
        return await self.collection.find(query).sort("seq", ASCENDING).limit(limit).to_list()

    async def insert_many(self, docs: list[dict[str, Any]]) -> set[int]:
        """Insert new documents; returns the indexes that already existed (a concurrent write)."""
        if not docs:
            return set()
        try:
            await self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            duplicate = {e["index"] for e in exc.details["writeErrors"] if e["code"] == 11000}
            if len(duplicate) != len(exc.details["writeErrors"]):
                raise
            return duplicate
        return set()

    async def apply_updates(
        self, updates: list[tuple[dict[str, Any], int]], history: list[dict[str, Any]], *,
        session: Any,
    ) -> set[str]:
        """Replace content when the stored version still matches; returns codes that were stale."""
        requests = [
            UpdateOne({"credit_code": doc["credit_code"], "version": expected},
                      {"$set": doc, "$inc": {"version": 1}})
            for doc, expected in updates
        ]
        result = await self.collection.bulk_write(requests, ordered=True, session=session)
        if result.matched_count != len(requests):
            stored = await self.collection.find(
                {"credit_code": {"$in": [d["credit_code"] for d, _ in updates]}},
                {"credit_code": 1, "version": 1}, session=session,
            ).to_list()
            now = {d["credit_code"]: d["version"] for d in stored}
            return {doc["credit_code"] for doc, expected in updates if now.get(doc["credit_code"]) != expected + 1}
        if history:
            await self.database[ENTERPRISE_HISTORY].bulk_write(
                [InsertOne(h) for h in history], session=session
            )
        return set()

    async def history_by_codes(self, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Change entries of each enterprise, newest first, in one query."""
        found: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
        for part in chunks(codes):
            cursor = self.database[ENTERPRISE_HISTORY].find({"credit_code": {"$in": part}}, {"_id": 0})
            async for entry in cursor.sort([("credit_code", ASCENDING), ("version", -1)]):
                found[entry["credit_code"]].append(entry)
        return found


class InspectorRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.collection = database[INSPECTORS]

    async def by_ids(self, staff_ids: list[str]) -> dict[str, Inspector]:
        found: dict[str, Inspector] = {}
        for part in chunks(staff_ids):
            async for doc in self.collection.find({"staff_id": {"$in": part}}):
                found[doc["staff_id"]] = _inspector(doc)
        return found

    async def covering(self, scopes: list[str]) -> list[Inspector]:
        """Inspectors whose jurisdictions include one of ``scopes`` (a division and its ancestors)."""
        docs = await self.collection.find({"jurisdictions": {"$in": scopes}}).sort("staff_id", ASCENDING).to_list()
        return [_inspector(d) for d in docs]

    async def serving(self, jurisdiction: str) -> list[dict[str, Any]]:
        """Inspectors who may serve a division (posted in it or below, or covering it or an ancestor), by staff
        id: the fields a draw's inspector snapshot freezes."""
        query = {"$or": [{"jurisdiction_path": jurisdiction},
                         {"jurisdictions": {"$in": tables.ancestors(jurisdiction)}}]}
        fields = {"_id": 0, "staff_id": 1, "jurisdictions": 1, "certificate_expires": 1, "on_post": 1, "conflicts": 1}
        return await self.collection.find(query, fields).sort("staff_id", ASCENDING).to_list()

    async def page(self, *, scope: Sequence[str], jurisdiction: str | None, after: int, first: int
                   ) -> tuple[list[Inspector], bool]:
        """Inspectors in ``scope`` (or in ``jurisdiction``, inside it) in registry order after seq ``after``: at
        most ``first``, and whether more exist."""
        query = _within(scope, jurisdiction)

        async def fetch(low: int, high: int, limit: int) -> list[dict[str, Any]]:
            # The range goes first: SecantusDB then walks the seq index instead of every match of the filters.
            window = {"seq": {"$gt": low, "$lte": high}, **query}
            return await self.collection.find(window).sort("seq", ASCENDING).limit(limit).to_list()

        docs, more = await read_page(fetch, after=after, first=first,
                                     limit_pushdown=self.database.profile.limit_pushdown,
                                     max_seq=await counters.current(self.database, INSPECTORS))
        return [_inspector(d) for d in docs], more

    async def count(self, *, scope: Sequence[str], jurisdiction: str | None) -> int:
        return int(await self.collection.count_documents(_within(scope, jurisdiction)))

    async def insert(self, record: InspectorData, *, now: datetime, session: Any = None) -> None:
        """Raises a duplicate-key error when the staff id is taken."""
        seq = await counters.reserve(self.database, INSPECTORS, 1, session=session)
        await self.collection.insert_one({**_inspector_content(record), "version": 1, "seq": seq,
                                          "created_at": now, "updated_at": now}, session=session)

    async def replace(self, record: InspectorData, *, version: int, now: datetime, session: Any = None) -> bool:
        """Store ``record`` over the inspector at ``version``; False when it is at another version (or gone)."""
        done = await self.collection.update_one(
            {"staff_id": record.staff_id, "version": version},
            {"$set": {**_inspector_content(record), "updated_at": now}, "$inc": {"version": 1}}, session=session)
        return done.matched_count == 1

    async def upsert_many(self, records: list[InspectorData], seq_start: int, now: datetime) -> tuple[int, int]:
        """Insert or replace inspectors by staff id; returns (inserted, updated)."""
        existing = await self.by_ids([r.staff_id for r in records])
        requests: list[Any] = []
        inserted = updated = 0
        for offset, record in enumerate(records):
            content = record.model_dump(mode="json")
            content["jurisdiction_path"] = sorted({a for j in record.jurisdictions for a in tables.ancestors(j)})
            current = existing.get(record.staff_id)
            if current is None:
                requests.append(InsertOne({**content, "version": 1, "seq": seq_start + offset,
                                           "created_at": now, "updated_at": now}))
                inserted += 1
            elif InspectorData(**current.model_dump(include=set(InspectorData.model_fields))) != record:
                requests.append(UpdateOne({"staff_id": record.staff_id},
                                          {"$set": {**content, "updated_at": now}, "$inc": {"version": 1}}))
                updated += 1
        if requests:
            await self.collection.bulk_write(requests, ordered=False)
        return inserted, updated


def _inspector_content(record: InspectorData) -> dict[str, Any]:
    content = record.model_dump(mode="json")
    content["jurisdiction_path"] = sorted({a for j in record.jurisdictions for a in tables.ancestors(j)})
    return content


def _inspector(doc: dict[str, Any]) -> Inspector:
    return Inspector.model_validate(
        {k: v for k, v in doc.items() if k not in {"_id", "jurisdiction_path"}}
    )


class MatterRepository:
    def __init__(self, database: Database) -> None:
        self.collection = database[MATTERS]

    async def list_matters(self) -> list[Matter]:
        docs = await self.collection.find({}, {"_id": 0}).sort("code", ASCENDING).to_list()
        return [Matter.model_validate(d) for d in docs]

    async def missing(self, codes: Sequence[str]) -> list[str]:
        """Those of ``codes`` that are not on the matter list, in the order given."""
        found = {d["code"] for d in await self.collection.find({"code": {"$in": list(codes)}},
                                                                {"_id": 0, "code": 1}).to_list()}
        return [code for code in codes if code not in found]

    async def insert(self, matter: Matter, *, session: Any = None) -> None:
        """Raises a duplicate-key error when the code is taken."""
        await self.collection.insert_one(matter.model_dump(mode="json"), session=session)

    async def replace(self, matter: Matter, *, session: Any = None) -> bool:
        done = await self.collection.replace_one({"code": matter.code}, matter.model_dump(mode="json"),
                                                 session=session)
        return done.matched_count == 1

    async def upsert_many(self, matters: list[Matter]) -> None:
        if matters:
            await self.collection.bulk_write(
                [UpdateOne({"code": m.code}, {"$set": m.model_dump(mode="json")}, upsert=True)
                 for m in matters]
            )
