"""Leases in MongoDB so that, of several running replicas, one runs each periodic job.

A lease is one document per job: ``{_id: job, owner, until}``. Taking it succeeds when it is
free, expired, or already ours; two replicas racing for a free lease cannot both win, because
the losing upsert collides on ``_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from core.db import CollectionSpec, Database

LEASES, JOB_RUNS = "leases", "job_runs"
COLLECTIONS = [CollectionSpec(LEASES), CollectionSpec(JOB_RUNS)]


async def acquire(database: Database, job: str, owner: str, *, ttl_s: float = 300) -> bool:
    now = datetime.now(UTC)
    try:
        doc = await database[LEASES].find_one_and_update(
            {"_id": job, "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
            {"$set": {"owner": owner, "until": now + timedelta(seconds=ttl_s)}},
            upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:
        return False  # someone else holds it
    return doc is not None and doc["owner"] == owner


async def release(database: Database, job: str, owner: str) -> None:
    await database[LEASES].delete_one({"_id": job, "owner": owner})


async def mark_done(database: Database, job: str, period_key: str, detail: dict[str, object]) -> bool:
    """Record that ``job`` ran for ``period_key``; False when it had already run."""
    try:
        await database[JOB_RUNS].insert_one({"_id": f"{job}:{period_key}", "job": job, "period": period_key,
                                             "at": datetime.now(UTC), "detail": detail})
    except DuplicateKeyError:
        return False
    return True


async def forget(database: Database, job: str, period_key: str) -> None:
    """Undo a claim whose work failed, so that the next run tries again."""
    await database[JOB_RUNS].delete_one({"_id": f"{job}:{period_key}"})
