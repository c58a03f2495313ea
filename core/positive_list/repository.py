"""Storage of positive-list membership: the append-only change records, and reads of the projected members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from core import counters
from core.db import CollectionSpec, Database, chunks
from core.pagination import read_page
from core.positive_list.models import MembershipChange
from core.reference import tables
from core.registry.repository import ENTERPRISES

CHANGES = "positive_list_changes"
COLLECTIONS = [
    CollectionSpec(CHANGES, indexes=[
        IndexModel([("credit_code", ASCENDING), ("at", DESCENDING)], name="enterprise_at"),
        IndexModel([("jurisdiction_path", ASCENDING), ("at", DESCENDING)], name="scope_at"),
    ]),
]
_MEMBER_FIELDS = {"_id": 0, "credit_code": 1, "name": 1, "jurisdiction": 1, "positive_list": 1, "seq": 1}


def _document(change: MembershipChange) -> dict[str, Any]:
    doc = change.model_dump(mode="json", exclude={"id", "at"})
    return {"_id": change.id, **doc, "at": change.at, "jurisdiction_path": tables.ancestors(change.jurisdiction)}


def _change(doc: dict[str, Any]) -> MembershipChange:
    return MembershipChange.model_validate(
        {("id" if k == "_id" else k): v for k, v in doc.items() if k != "jurisdiction_path"})


def _on(day: date) -> dict[str, Any]:
    """Enterprises whose projected entry covers ``day`` (dates are stored as ISO strings)."""
    return {"positive_list.valid_from": {"$lte": day.isoformat()}, "positive_list.valid_to": {"$gte": day.isoformat()}}


class MembershipRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.changes = database[CHANGES]

    async def insert(self, change: MembershipChange, *, session: Any = None) -> None:
        """Insert once; the unique ``_id`` refuses a second change under the same id (DuplicateKeyError)."""
        await self.changes.insert_one(_document(change), session=session)

    async def get(self, change_id: str) -> MembershipChange | None:
        doc = await self.changes.find_one({"_id": change_id})
        return _change(doc) if doc else None

    async def history(self, credit_code: str, *, limit: int = 100) -> list[MembershipChange]:
        """The changes of one enterprise, newest first."""
        cursor = self.changes.find({"credit_code": credit_code}).sort("at", DESCENDING).limit(limit)
        return [_change(d) async for d in cursor]

    async def recent(self, scope: Sequence[str], *, limit: int) -> list[MembershipChange]:
        """The latest changes within ``scope`` (divisions and below), newest first."""
        cursor = self.changes.find({"jurisdiction_path": {"$in": list(scope)}}).sort("at", DESCENDING).limit(limit)
        return [_change(d) async for d in cursor]

    async def admissions(self, codes: list[str]) -> dict[str, MembershipChange]:
        """The latest admission of each enterprise, by credit code."""
        found: dict[str, MembershipChange] = {}
        for part in chunks(codes):
            async for doc in self.changes.find({"credit_code": {"$in": part}, "action": "admitted"}):
                change = _change(doc)
                if change.credit_code not in found or found[change.credit_code].at < change.at:
                    found[change.credit_code] = change
        return found

    async def members_page(self, *, scope: Sequence[str], day: date, after: int, first: int
                           ) -> tuple[list[dict[str, Any]], bool]:
        """Enterprises in ``scope`` on the list on ``day``, in registry order after seq ``after``."""
        query = {"jurisdiction_path": {"$in": list(scope)}, **_on(day)}
        collection = self.database[ENTERPRISES]

        async def fetch(low: int, high: int, limit: int) -> list[dict[str, Any]]:
            window = {"seq": {"$gt": low, "$lte": high}, **query}
            return await collection.find(window, _MEMBER_FIELDS).sort("seq", ASCENDING).limit(limit).to_list()

        return await read_page(fetch, after=after, first=first,
                               max_seq=await counters.current(self.database, ENTERPRISES), density_hint=0.1)

    async def members_all(self, *, scope: Sequence[str], day: date, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` members in ``scope`` on ``day``, in registry order (the public list)."""
        query = {"jurisdiction_path": {"$in": list(scope)}, **_on(day)}
        cursor = self.database[ENTERPRISES].find(query, _MEMBER_FIELDS).sort("seq", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def members_among(self, query: dict[str, Any], day: date) -> list[str]:
        """Credit codes of the enterprises matching ``query`` (a registry selection) on the list on ``day``."""
        cursor = self.database[ENTERPRISES].find({**query, **_on(day)}, {"_id": 0, "credit_code": 1})
        return [d["credit_code"] async for d in cursor]
