"""Storage of alerts and of the measures each alert imposes on enterprises."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel, InsertOne, ReturnDocument

from core.alerts.models import Alert
from core.db import CollectionSpec, Database, chunks

ALERTS, MEASURES = "alerts", "alert_measures"
COLLECTIONS = [
    CollectionSpec(ALERTS),
    CollectionSpec(MEASURES, indexes=[IndexModel([("alert_id", ASCENDING), ("credit_code", ASCENDING)], unique=True),
                                      IndexModel([("credit_code", ASCENDING)])]),
]


def _alert(doc: dict[str, Any]) -> Alert:
    return Alert.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


class AlertRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert(self, alert: Alert, measures: list[dict[str, Any]], *, session: Any) -> None:
        await self.database[ALERTS].insert_one({"_id": alert.id, **alert.model_dump(exclude={"id"})}, session=session)
        await self.replace_measures(alert.id, measures, session=session)

    async def replace_measures(self, alert_id: str, measures: list[dict[str, Any]], *, session: Any) -> None:
        await self.database[MEASURES].delete_many({"alert_id": alert_id}, session=session)
        if measures:
            await self.database[MEASURES].bulk_write([InsertOne({"alert_id": alert_id, **m}) for m in measures],
                                                     session=session)

    async def get(self, alert_id: str) -> Alert | None:
        doc = await self.database[ALERTS].find_one({"_id": alert_id})
        return _alert(doc) if doc else None

    async def update(self, alert_id: str, version: int, changes: dict[str, Any], entry: dict[str, Any], *,
                     session: Any) -> Alert | None:
        doc = await self.database[ALERTS].find_one_and_update(
            {"_id": alert_id, "version": version},
            {"$set": changes, "$inc": {"version": 1}, "$push": {"history": entry}},
            return_document=ReturnDocument.AFTER, session=session)
        return _alert(doc) if doc else None

    async def list_alerts(self, jurisdictions: list[str]) -> list[Alert]:
        docs = await self.database[ALERTS].find({"jurisdictions": {"$in": jurisdictions}}).sort("issued_at", -1) \
            .limit(100).to_list()
        return [_alert(d) for d in docs]

    async def measures(self, alert_id: str, *, first: int, after: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"alert_id": alert_id}
        if after:
            query["credit_code"] = {"$gt": after}
        cursor = self.database[MEASURES].find(query, {"_id": 0}).sort("credit_code", ASCENDING).limit(first)
        return await cursor.to_list()

    async def active_measures(self, codes: list[str], now: Any) -> dict[str, list[dict[str, Any]]]:
        """Measures in force now for each enterprise, from every active alert."""
        active = await self.database[ALERTS].find({"status": "active", "ends_at": {"$gt": now}},
                                                  {"_id": 1, "level": 1}).to_list()
        levels = {a["_id"]: a["level"] for a in active}
        found: dict[str, list[dict[str, Any]]] = {}
        if not levels:
            return found
        for part in chunks(codes):
            query = {"credit_code": {"$in": part}, "alert_id": {"$in": list(levels)}}
            async for doc in self.database[MEASURES].find(query, {"_id": 0}, batch_size=100_000):
                found.setdefault(doc["credit_code"], []).append({**doc, "level": levels[doc["alert_id"]]})
        return found

    async def active_ids(self, now: Any) -> dict[str, str]:
        """Active alerts in force at ``now``: id → level."""
        docs = self.database[ALERTS].find({"status": "active", "starts_at": {"$lte": now}, "ends_at": {"$gt": now}},
                                          {"_id": 1, "level": 1})
        return {d["_id"]: d["level"] async for d in docs}

    async def set_route(self, alert_id: str, credit_code: str, route: str, *, session: Any) -> None:
        await self.database[MEASURES].update_one({"alert_id": alert_id, "credit_code": credit_code},
                                                 {"$set": {"verification.route": route}}, session=session)

    async def overlapping(self, start: Any, end: Any) -> list[Alert]:
        """Alerts (active or lifted) whose period overlaps [start, end)."""
        docs = await self.database[ALERTS].find({"starts_at": {"$lt": end}, "ends_at": {"$gt": start}}).to_list()
        return [_alert(d) for d in docs]

    async def measures_of(self, alert_ids: list[str], codes: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for part in chunks(codes):
            query = {"alert_id": {"$in": alert_ids}, "credit_code": {"$in": part}}
            found += await self.database[MEASURES].find(query, {"_id": 0}, batch_size=100_000).to_list()
        return found
