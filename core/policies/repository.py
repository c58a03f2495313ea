"""Storage of policies, versions, the append-only change log and the decisions per enterprise; registry queries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from core.db import CollectionSpec, Database, chunks
from core.policies.models import DecisionRefresh, Policy, PolicyVersion, RefreshState

POLICIES, VERSIONS, CHANGES = "policies", "policy_versions", "policy_changes"
COLLECTIONS = [
    CollectionSpec(POLICIES),
    CollectionSpec(VERSIONS, indexes=[IndexModel([("policy_id", ASCENDING), ("number", ASCENDING)], unique=True)]),
    CollectionSpec(CHANGES, indexes=[IndexModel([("policy_id", ASCENDING), ("at", DESCENDING)])]),
]


def _policy(doc: dict[str, Any]) -> Policy:
    return Policy.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


def _version(doc: dict[str, Any]) -> PolicyVersion:
    return PolicyVersion.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


def every_enterprise() -> dict[str, Any]:
    """The registry query for a full re-decision (the facts are streamed by ``core.policies.facts``)."""
    return {}


def enterprises_within(jurisdiction: str) -> dict[str, Any]:
    """The registry query for the enterprises inside a jurisdiction."""
    return {"jurisdiction_path": jurisdiction}


def enterprises_with_codes(codes: list[str]) -> dict[str, Any]:
    """The registry query for some enterprises by credit code (keep ``codes`` near 100: see ``chunks``)."""
    return {"credit_code": {"$in": codes}}


class PolicyRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def get_policy(self, policy_id: str, *, session: Any = None) -> Policy | None:
        doc = await self.database[POLICIES].find_one({"_id": policy_id}, session=session)
        return _policy(doc) if doc else None

    async def list_policies(self) -> list[Policy]:
        return [_policy(d) for d in await self.database[POLICIES].find({}).sort("_id", ASCENDING).to_list()]

    async def insert_policy(self, policy: Policy, *, session: Any = None) -> bool:
        """False when a policy with that id exists already."""
        doc = policy.model_dump(mode="python", exclude={"id"})
        found = await self.database[POLICIES].update_one({"_id": policy.id}, {"$setOnInsert": doc}, upsert=True,
                                                         session=session)
        return found.upserted_id is not None

    async def ensure_policy(self, policy: Policy, *, session: Any = None) -> None:
        doc = policy.model_dump(mode="python", exclude={"id"})
        await self.database[POLICIES].update_one({"_id": policy.id}, {"$setOnInsert": doc}, upsert=True,
                                                 session=session)

    async def next_number(self, policy_id: str, *, session: Any = None) -> int:
        doc = await self.database[POLICIES].find_one_and_update(
            {"_id": policy_id}, {"$inc": {"latest_number": 1}}, return_document=ReturnDocument.AFTER,
            session=session)
        assert doc is not None  # the service created or read the policy first
        return int(doc["latest_number"])

    async def set_active(self, policy_id: str, version_id: str | None, *, session: Any = None) -> None:
        await self.database[POLICIES].update_one({"_id": policy_id}, {"$set": {"active_version": version_id}},
                                                 session=session)

    async def insert_version(self, version: PolicyVersion, *, session: Any = None) -> None:
        doc = version.model_dump(mode="json", exclude={"id"})
        doc["created_at"], doc["updated_at"] = version.created_at, version.updated_at
        await self.database[VERSIONS].insert_one({"_id": version.id, **doc}, session=session)

    async def get_version(self, version_id: str, *, session: Any = None) -> PolicyVersion | None:
        doc = await self.database[VERSIONS].find_one({"_id": version_id}, session=session)
        return _version(doc) if doc else None

    async def versions(self, policy_id: str) -> list[PolicyVersion]:
        docs = await self.database[VERSIONS].find({"policy_id": policy_id}).sort("number", ASCENDING).to_list()
        return [_version(d) for d in docs]

    async def update_version(self, version_id: str, *, expect_status: str, changes: dict[str, Any],
                             session: Any = None) -> PolicyVersion | None:
        doc = await self.database[VERSIONS].find_one_and_update(
            {"_id": version_id, "status": expect_status},
            {"$set": {**changes, "updated_at": datetime.now(UTC)}}, return_document=ReturnDocument.AFTER,
            session=session)
        return _version(doc) if doc else None

    async def log(self, *, policy_id: str, version_id: str, actor: str | None, action: str, reason: str = "",
                  detail: dict[str, Any] | None = None, session: Any = None) -> None:
        await self.database[CHANGES].insert_one(
            {"policy_id": policy_id, "version_id": version_id, "actor": actor or "system", "action": action,
             "reason": reason, "detail": detail or {}, "at": datetime.now(UTC)}, session=session)

    async def changes(self, policy_id: str, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.database[CHANGES].find({"policy_id": policy_id}, {"_id": 0})
        return await cursor.sort("at", DESCENDING).limit(limit).to_list()


DECISIONS, DECISION_CHANGES, DECISION_DAYS = "enterprise_decisions", "decision_changes", "decision_days"
COLLECTIONS += [
    CollectionSpec(DECISIONS),
    CollectionSpec(DECISION_DAYS),
    CollectionSpec(DECISION_CHANGES, indexes=[IndexModel([("credit_code", ASCENDING), ("at", DESCENDING)])]),
]


class DecisionRepository:
    """The current policy decisions of each enterprise, and the append-only log of their changes."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def current(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(codes):
            async for doc in self.database[DECISIONS].find({"_id": {"$in": part}}):
                found[doc["_id"]] = doc.get("decisions", {})
        return found

    async def record(self, changed: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]], *,
                     trigger: str, refreshed: list[tuple[str, str, dict[str, Any]]] | None = None) -> None:
        """Store new decisions (code, kind, decision, previous) and log each change, in one transaction.

        ``refreshed`` (code, kind, decision): the same outcome under another version, stored so that the
        dossier names the version in force, but not logged as a change of outcome.
        """
        stored = [(code, kind, decision) for code, kind, decision, _ in changed] + (refreshed or [])
        if not stored:
            return
        now = datetime.now(UTC)
        async with self.database.start_session() as session, await session.start_transaction():
            await self.database[DECISIONS].bulk_write(
                [UpdateOne({"_id": code}, {"$set": {f"decisions.{kind}": decision}}, upsert=True)
                 for code, kind, decision in stored], ordered=False, session=session)
            if not changed:
                return
            await self.database[DECISION_CHANGES].insert_many(
                [{"credit_code": code, "kind": kind, "before": (before or {}).get("outputs"),
                  "after": decision["outputs"], "version": decision["version"], "rules": decision["rules"],
                  "trigger": trigger, "at": now} for code, kind, decision, before in changed], session=session)

    async def claim_day(self, day: date) -> bool:
        """True once per day: the unique ``_id`` lets one replica claim the daily re-decision."""
        try:
            await self.database[DECISION_DAYS].insert_one({"_id": day.isoformat(), "at": datetime.now(UTC)})
        except DuplicateKeyError:
            return False
        return True

    async def changes(self, code: str, limit: int = 50) -> list[dict[str, Any]]:
        cursor = self.database[DECISION_CHANGES].find({"credit_code": code}, {"_id": 0})
        return await cursor.sort("at", DESCENDING).limit(limit).to_list()


REFRESHES = "decision_refreshes"
COLLECTIONS += [CollectionSpec(REFRESHES, indexes=[
    IndexModel([("version_id", ASCENDING), ("created_at", DESCENDING)]),
    IndexModel([("state", ASCENDING), ("effective_from", ASCENDING)])])]
OPEN = [RefreshState.SCHEDULED.value, RefreshState.RUNNING.value]


def _refresh(doc: dict[str, Any]) -> DecisionRefresh:
    return DecisionRefresh.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


class RefreshRepository:
    """The decision refreshes of activated versions: their state, cursor and counts."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert(self, refresh: DecisionRefresh, *, session: Any = None) -> None:
        doc = refresh.model_dump(mode="json", exclude={"id"})
        doc["created_at"], doc["updated_at"] = refresh.created_at, refresh.updated_at
        await self.database[REFRESHES].insert_one({"_id": refresh.id, **doc}, session=session)

    async def latest_for(self, version_id: str) -> DecisionRefresh | None:
        docs = await self.database[REFRESHES].find({"version_id": version_id}).sort(
            "created_at", DESCENDING).limit(1).to_list()
        return _refresh(docs[0]) if docs else None

    async def due(self, day: date) -> list[DecisionRefresh]:
        """Open refreshes whose version is in force by ``day``, oldest first."""
        cursor = self.database[REFRESHES].find({"state": {"$in": OPEN}, "effective_from": {"$lte": day.isoformat()}})
        return [_refresh(d) for d in await cursor.sort("created_at", ASCENDING).to_list()]

    async def cancel_open(self, policy_id: str, *, session: Any = None) -> None:
        """A new activation or a rollback replaces whatever the policy's open refreshes were for."""
        await self.database[REFRESHES].update_many(
            {"policy_id": policy_id, "state": {"$in": OPEN}},
            {"$set": {"state": RefreshState.CANCELLED.value, "updated_at": datetime.now(UTC)}}, session=session)

    async def advance(self, refresh_id: str, *, after: str, evaluated: int, changed: int) -> None:
        """One batch done: move the cursor past it and count it."""
        await self.database[REFRESHES].update_one(
            {"_id": refresh_id}, {"$set": {"after": after, "state": RefreshState.RUNNING.value,
                                           "updated_at": datetime.now(UTC)},
                                  "$inc": {"evaluated": evaluated, "changed": changed}})

    async def finish(self, refresh_id: str) -> DecisionRefresh:
        doc = await self.database[REFRESHES].find_one_and_update(
            {"_id": refresh_id}, {"$set": {"state": RefreshState.DONE.value, "updated_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER)
        assert doc is not None  # inserted before it ran
        return _refresh(doc)
