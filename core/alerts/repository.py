"""Storage of alerts and of the measures each alert imposes on enterprises."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel, InsertOne, ReturnDocument

from core.alerts.models import Alert
from core.db import CollectionSpec, Database

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

    async def list(self, jurisdictions: list[str]) -> list[Alert]:
        docs = await self.database[ALERTS].find({"jurisdictions": {"$in": jurisdictions}}).sort("issued_at", -1) \
            .limit(100).to_list()
        return [_alert(d) for d in docs]

    async def measures(self, alert_id: str, *, first: int, after: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"alert_id": alert_id}
        if after:
            query["credit_code"] = {"$gt": after}
        cursor = self.database[MEASURES].find(query, {"_id": 0}).sort("credit_code", ASCENDING).limit(first)
        return await cursor.to_list()
