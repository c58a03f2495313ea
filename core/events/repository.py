"""Storage of enterprise events; the only pymongo code of the events package."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from core.db import CollectionSpec, Database, chunks
from core.events.models import EnterpriseEvent

EVENTS = "enterprise_events"
COLLECTIONS = [
    CollectionSpec(EVENTS, indexes=[IndexModel([("credit_code", ASCENDING), ("occurred_on", DESCENDING)])]),
]


def _document(event: EnterpriseEvent) -> dict[str, Any]:
    doc = event.model_dump(mode="json", exclude={"id", "recorded_at"})
    return {"_id": event.id, **doc, "recorded_at": event.recorded_at}


def _event(doc: dict[str, Any]) -> EnterpriseEvent:
    return EnterpriseEvent.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


class EventRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert(self, event: EnterpriseEvent, *, session: Any = None) -> None:
        """Insert once; a second insert of the id raises DuplicateKeyError (the unique ``_id`` decides)."""
        await self.database[EVENTS].insert_one(_document(event), session=session)

    async def get(self, event_id: str) -> EnterpriseEvent | None:
        doc = await self.database[EVENTS].find_one({"_id": event_id})
        return _event(doc) if doc else None

    async def insert_many(self, events: list[EnterpriseEvent], *, session: Any = None) -> None:
        if events:
            await self.database[EVENTS].insert_many([_document(e) for e in events], session=session)

    async def of_enterprises(self, codes: list[str], limit: int = 50) -> dict[str, list[EnterpriseEvent]]:
        """The newest ``limit`` events of each enterprise (one query per 100 codes)."""
        found: dict[str, list[EnterpriseEvent]] = defaultdict(list)
        for part in chunks(codes):
            async for doc in self.database[EVENTS].find({"credit_code": {"$in": part}}):
                found[doc["credit_code"]].append(_event(doc))
        return {code: sorted(events, key=lambda e: (e.occurred_on, e.recorded_at), reverse=True)[:limit]
                for code, events in found.items()}

    async def windows(self, codes: list[str], day: date) -> dict[str, list[dict[str, Any]]]:
        """Each enterprise's events up to ``day`` (one query per 100 codes). Not cut to the windows: an
        open supervised case or the last inspection may be older than any counting window."""
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        until = day.isoformat()
        fields = {"_id": 0, "credit_code": 1, "kind": 1, "occurred_on": 1, "ends_on": 1}
        for part in chunks(codes):
            # Dates are filtered here: SecantusDB skips the compound index when $in precedes a range.
            async for doc in self.database[EVENTS].find({"credit_code": {"$in": part}}, fields):
                if doc["occurred_on"] <= until:
                    found[doc["credit_code"]].append(doc)
        return found
