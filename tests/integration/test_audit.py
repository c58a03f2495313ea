"""The audit trail against the database: queued entries written and chained per day, concurrent chainers that
never fork a day, verification that sees an edited or deleted entry, legacy entries adopted, and retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from secantus import SecantusDBServer

from core.audit.models import AuditFilter, AuditScope
from core.audit.repository import AuditRepository
from core.audit.service import AuditService
from core.db import Database

EVERYTHING = AuditScope(everything=True)


def _doc(at: datetime, actor: str = "someone", **extra: Any) -> dict[str, Any]:
    return {"at": at, "actor": actor, "roles": ["supervisor"], "jurisdictions": ["610100"],
            "scope": ["610000", "610100"], "action": "Mutation.updatePlan", "target": "planId:p1",
            "targets": ["p1"], "outcome": "ok", "code": None, "request_id": "r", "address": "10.0.0.1",
            "source": "graphql", "detail": {}, "pending": True, **extra}


def _record(audit: AuditService, actor: str, **extra: Any) -> None:
    audit.record(actor=actor, operation="Mutation.updatePlan", outcome="ok", roles=["supervisor"],
                 jurisdictions=["610100"], targets=[("planId", "p1")], request_id="r1", address="10.0.0.1",
                 source="graphql", **extra)


async def test_recorded_entries_are_written_chained_and_verify(database: Database) -> None:
    audit = AuditService(database)
    for i in range(5):
        _record(audit, f"user{i}")
    assert audit.queued == 5 and await database["audit"].count_documents({}) == 0  # queued, not yet written
    assert await audit.flush() == 5
    docs = await database["audit"].find({}).sort("n", 1).to_list()
    today = datetime.now(UTC).date().isoformat()
    assert [d["n"] for d in docs] == [1, 2, 3, 4, 5] and {d["day"] for d in docs} == {today}
    assert [d["actor"] for d in docs] == [f"user{i}" for i in range(5)]  # (at, _id) order: recording order
    assert all("pending" not in d for d in docs) and docs[1]["prev"] == docs[0]["hash"]
    head = await database["audit_heads"].find_one({"_id": today})
    assert (head["n"], head["count"], head["hash"]) == (5, 5, docs[-1]["hash"])
    [report] = await audit.verify(today)
    assert report.ok and report.count == 5


async def test_service_records_and_legacy_entries_are_chained(database: Database) -> None:
    repository = AuditRepository(database)
    await repository.append(actor="svc", action="createPlan", target="plan:p9", request_id="r", outcome="ok")
    now = datetime.now(UTC)
    legacy = {"actor": "old", "action": "login", "target": "user:old", "request_id": "-", "at": now,
              "outcome": "ok", "detail": {}}
    await database["audit"].insert_one(legacy)  # as stored before the chain existed
    audit = AuditService(database)
    await audit.flush()
    docs = await database["audit"].find({}).to_list()
    assert len(docs) == 2 and all(d.get("hash") for d in docs)
    page = await audit.page(EVERYTHING, AuditFilter(target="p9"), first=10, after=None)
    assert [(e.actor, e.operation, e.source) for e in page.items] == [("svc", "createPlan", "service")]
    assert all(r.ok for r in await audit.verify())


async def test_two_chainers_in_two_processes_never_fork_a_day(db_server: SecantusDBServer,
                                                              database: Database) -> None:
    name = database.db.name
    others = [Database(db_server.uri, name) for _ in range(3)]
    try:
        writer = AuditRepository(database)
        now = datetime.now(UTC)
        yesterday = now - timedelta(days=1)
        await writer.insert_many([_doc(now - timedelta(milliseconds=i), actor=f"a{i}") for i in range(60)]
                                 + [_doc(yesterday - timedelta(milliseconds=i), actor=f"b{i}") for i in range(40)])
        chainers = [AuditService(db, batch=7) for db in others]
        for number, chainer in enumerate(chainers):  # and each process has entries of its own queued
            for i in range(10):
                _record(chainer, f"c{number}-{i}")
        written = await asyncio.gather(*[c.flush() for c in chainers])
        assert written == [10, 10, 10]
        for day, expected in ((now.date().isoformat(), 90), (yesterday.date().isoformat(), 40)):
            docs = await database["audit"].find({"day": day}).sort("n", 1).to_list()
            assert [d["n"] for d in docs] == list(range(1, expected + 1))
            head = await database["audit_heads"].find_one({"_id": day})
            assert head["count"] == expected and head["hash"] == docs[-1]["hash"]
        seqs = sorted(d["seq"] for d in await database["audit"].find({}).to_list())
        assert seqs == list(range(1, 131))  # each entry chained once; seq global, unique, no gap
        assert all(r.ok for r in await AuditService(database).verify())
    finally:
        for db in others:
            await db.client.close()


async def test_verify_detects_an_edited_and_a_deleted_entry(database: Database) -> None:
    audit = AuditService(database)
    for i in range(6):
        _record(audit, f"user{i}")
    await audit.flush()
    day = datetime.now(UTC).date().isoformat()
    await database["audit"].update_one({"day": day, "n": 2}, {"$set": {"outcome": "refused:FORBIDDEN"}})
    await database["audit"].delete_one({"day": day, "n": 4})
    [report] = await audit.verify(day)
    assert [(p.kind, p.n) for p in report.problems] == [("edited", 2), ("deleted", 4)]


async def test_verify_detects_a_deleted_last_entry_and_a_deleted_head(database: Database) -> None:
    audit = AuditService(database)
    for i in range(3):
        _record(audit, f"user{i}")
    await audit.flush()
    day = datetime.now(UTC).date().isoformat()
    await database["audit"].delete_one({"day": day, "n": 3})
    [report] = await audit.verify(day)
    assert [(p.kind, p.n) for p in report.problems] == [("deleted", 3)]
    await database["audit_heads"].delete_one({"_id": day})
    [report] = await audit.verify()
    assert [p.kind for p in report.problems] == ["deleted"] and "head" in report.problems[0].detail


async def test_retention_purges_whole_old_days_only(database: Database) -> None:
    repository = AuditRepository(database)
    today = datetime.now(UTC).date()
    old = datetime.now(UTC) - timedelta(days=11)
    await repository.insert_many([_doc(old - timedelta(seconds=i)) for i in range(3)] + [_doc(datetime.now(UTC))])
    audit = AuditService(database, retention_days=10)
    await audit.flush()
    assert await database["audit_heads"].count_documents({}) == 2
    result = await audit.purge_expired(today)
    assert result["days"] == 1 and result["entries"] == 3
    assert await database["audit_heads"].find_one({"_id": old.date().isoformat()}) is None
    assert await database["audit"].count_documents({"day": old.date().isoformat()}) == 0
    assert (await audit.purge_expired(today)) == {"skipped": "already ran today"}
    page = await audit.page(EVERYTHING, AuditFilter(operation="job:audit-retention"), first=5, after=None)
    assert [e.targets for e in page.items] == [[old.date().isoformat()]]
    assert all(r.ok for r in await audit.verify())


async def test_pages_filter_and_scope(database: Database) -> None:
    audit = AuditService(database)
    for _ in range(5):
        _record(audit, "xian")
    audit.record(actor="baoji", operation="Mutation.updatePlan", outcome="refused:FORBIDDEN", code="FORBIDDEN",
                 roles=["inspector"], jurisdictions=["610300"], source="graphql")
    audit.record(actor=None, operation="Query.plans", outcome="refused:UNAUTHENTICATED", code="UNAUTHENTICATED",
                 source="graphql")
    first = await audit.page(EVERYTHING, AuditFilter(), first=3, after=None)
    assert [e.seq for e in first.items] == [1, 2, 3] and first.has_next
    rest = await audit.page(EVERYTHING, AuditFilter(), first=10, after=first.end_cursor)
    assert [e.seq for e in rest.items] == [4, 5, 6, 7] and not rest.has_next
    refused = await audit.page(EVERYTHING, AuditFilter(outcome="refused"), first=10, after=None)
    assert [e.actor for e in refused.items] == ["baoji", "anonymous"]
    xian = await audit.page(AuditScope(everything=False, jurisdictions=("610100",)), AuditFilter(), first=10,
                            after=None)
    assert {e.actor for e in xian.items} == {"xian"}
    province = await audit.page(AuditScope(everything=False, jurisdictions=("610000",)), AuditFilter(), first=10,
                                after=None)
    assert {e.actor for e in province.items} == {"xian", "baoji"}  # never the anonymous one
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await audit.page(EVERYTHING, AuditFilter(at_from=later), first=10, after=None)).items == []
    earlier = datetime.now(UTC) - timedelta(hours=1)
    window = await audit.page(EVERYTHING, AuditFilter(at_from=earlier, at_to=later), first=10, after=None)
    assert len(window.items) == 7


async def test_the_writer_task_stores_entries_without_a_flush(database: Database) -> None:
    audit = AuditService(database, interval_s=0.01)
    audit.start()
    try:
        _record(audit, "someone")
        for _ in range(500):
            if await database["audit"].count_documents({"hash": {"$exists": True}}) == 1:
                break
            await asyncio.sleep(0.01)
        assert await database["audit"].count_documents({"hash": {"$exists": True}}) == 1
        _record(audit, "last")
    finally:
        await audit.stop()
    assert await database["audit"].count_documents({"actor": "last", "hash": {"$exists": True}}) == 1


