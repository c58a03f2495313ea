"""``Database.transaction`` on the real server: transient failures rerun the unit, within a bound."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from core.db import Database, TransactionBusy, is_duplicate_key, lost_race


def _transient() -> OperationFailure:
    # The error the server sends on a write conflict inside a transaction, labelled as pymongo reads it.
    return OperationFailure("WriteConflict", code=112, details={"errorLabels": ["TransientTransactionError"]})


async def test_a_unit_that_fails_transiently_once_is_rerun_and_only_the_rerun_is_kept(database: Database) -> None:
    calls = 0

    async def work(session: Any) -> str:
        nonlocal calls
        calls += 1
        await database["tx_probe"].insert_one({"attempt": calls}, session=session)
        if calls == 1:
            raise _transient()
        return "done"

    assert await database.transaction(work) == "done"
    assert calls == 2
    assert [d["attempt"] async for d in database["tx_probe"].find({}, {"_id": 0})] == [2]


async def test_a_real_write_conflict_is_retried_until_the_other_writer_is_gone(database: Database) -> None:
    await database["tx_probe"].insert_one({"_id": "x", "owner": "nobody"})
    async with database.start_session() as other:
        await other.start_transaction()
        await database["tx_probe"].update_one({"_id": "x"}, {"$set": {"owner": "other"}}, session=other)
        calls = 0

        async def work(session: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:  # the other writer gives up between our attempts
                await other.abort_transaction()
            await database["tx_probe"].update_one({"_id": "x"}, {"$set": {"owner": "helper"}}, session=session)

        await database.transaction(work)
    assert calls == 2
    assert (await database["tx_probe"].find_one({"_id": "x"}))["owner"] == "helper"


async def test_the_bound_is_respected_and_the_error_is_coded_and_nothing_is_kept(database: Database) -> None:
    calls = 0

    async def work(session: Any) -> None:
        nonlocal calls
        calls += 1
        await database["tx_probe"].insert_one({"attempt": calls}, session=session)
        raise _transient()

    with pytest.raises(TransactionBusy) as caught:
        await database.transaction(work, attempts=3)
    assert calls == 3
    assert caught.value.code == "TRANSACTION_BUSY"
    assert lost_race(caught.value)
    assert await database["tx_probe"].count_documents({}) == 0


async def test_other_errors_abort_at_once_and_propagate(database: Database) -> None:
    calls = 0

    async def work(session: Any) -> None:
        nonlocal calls
        calls += 1
        await database["tx_probe"].insert_one({"_id": 1}, session=session)
        await database["tx_probe"].insert_one({"_id": 1}, session=session)

    with pytest.raises(DuplicateKeyError) as caught:
        await database.transaction(work)
    assert calls == 1
    assert is_duplicate_key(caught.value)
    assert await database["tx_probe"].count_documents({}) == 0
