"""Storage of cases: the append-only steps and the case each adds up to; the only pymongo code of cases.

``case_steps`` is the record: one document per step, never updated, ``_id`` the caller's UUID,
unique per (case, seq). ``cases`` holds the fold of a case's steps with its next deadline, replaced
as a whole in the same transaction as each new step and only if no other step came in between.
Dates are stored as ISO strings, which sort like the dates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError

from core.cases.deadlines import next_due
from core.cases.models import Case, CaseFlag, CaseStatus, Deadline, DecisionKind, Step
from core.counters import current, reserve
from core.db import DUPLICATE_KEY, CollectionSpec, Database, chunks, is_duplicate_key
from core.pagination import read_page
from core.reference import tables

CASES, STEPS, FLAGS = "cases", "case_steps", "case_flags"
CLOSED = [CaseStatus.CLOSED.value, CaseStatus.NOT_FILED.value]
COLLECTIONS = [
    CollectionSpec(CASES, indexes=[
        IndexModel([("seq", ASCENDING)], unique=True),
        IndexModel([("open", ASCENDING), ("next_due", ASCENDING)]),
        IndexModel([("credit_code", ASCENDING)]),
        IndexModel([("number", ASCENDING)], unique=True, partialFilterExpression={"number": {"$type": "string"}}),
    ]),
    CollectionSpec(STEPS, indexes=[IndexModel([("case_id", ASCENDING), ("seq", ASCENDING)], unique=True)]),
    # One document per overdue case and day, ``_id`` "<case id>:<day>": the daily job writes each once.
    CollectionSpec(FLAGS, indexes=[IndexModel([("case_id", ASCENDING)]), IndexModel([("day", ASCENDING)])]),
]


def _case_document(case: Case, seq: int) -> dict[str, Any]:
    due = next_due(case)
    return {"_id": case.id, **case.model_dump(mode="json", exclude={"id"}), "seq": seq,
            "open": case.status.value not in CLOSED, "next_due": due.isoformat() if due else None}


def _case(doc: dict[str, Any]) -> Case:
    return Case.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()
                                if k not in ("seq", "open", "next_due")})


def _step(doc: dict[str, Any]) -> Step:
    return Step.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


class CaseRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def next_seq(self) -> int:
        return await reserve(self.database, CASES, 1)

    async def next_number(self, authority: str, year: int, *, session: Any) -> int:
        """The next case number of an issuing authority in a year (in the caller's transaction, so a number
        is used exactly once: an aborted filing gives its number back)."""
        return await reserve(self.database, f"case-number:{authority}:{year}", 1, session=session)

    async def create(self, case: Case, step: Step, seq: int, *, session: Any) -> None:
        """The opening step and the new case; a duplicate step or case id raises DuplicateKeyError."""
        await self.database[STEPS].insert_one(_step_document(step), session=session)
        await self.database[CASES].insert_one(_case_document(case, seq), session=session)

    async def append(self, case: Case, step: Step, *, expected_version: int, session: Any) -> bool:
        """Add a step and replace the case, unless another step was added since ``expected_version``."""
        await self.database[STEPS].insert_one(_step_document(step), session=session)
        current = await self.database[CASES].find_one({"_id": case.id}, {"seq": 1, "version": 1}, session=session)
        if current is None or current["version"] != expected_version:
            return False
        result = await self.database[CASES].replace_one({"_id": case.id, "version": expected_version},
                                                        _case_document(case, current["seq"]), session=session)
        return result.modified_count == 1

    async def get(self, case_id: str) -> Case | None:
        doc = await self.database[CASES].find_one({"_id": case_id})
        return _case(doc) if doc else None

    async def step(self, step_id: str) -> Step | None:
        doc = await self.database[STEPS].find_one({"_id": step_id})
        return _step(doc) if doc else None

    async def steps(self, case_id: str) -> list[Step]:
        docs = await self.database[STEPS].find({"case_id": case_id}).sort("seq", ASCENDING).to_list()
        return [_step(d) for d in docs]

    async def steps_of(self, case_ids: list[str]) -> dict[str, list[Step]]:
        """The steps of several cases in one query per 100 ids, each case's in order."""
        found: dict[str, list[Step]] = {case_id: [] for case_id in case_ids}
        for part in chunks(case_ids):
            async for doc in self.database[STEPS].find({"case_id": {"$in": part}}):
                found[doc["case_id"]].append(_step(doc))
        return {case_id: sorted(steps, key=lambda s: s.seq) for case_id, steps in found.items()}

    async def page(self, *, after: int, first: int, jurisdictions: list[str] | None, status: str | None,
                   credit_code: str | None, overdue_on: date | None) -> tuple[list[tuple[int, Case]], bool]:
        """Cases in filing order after the cursor ``after``, filtered; ``jurisdictions`` None means all."""
        query: dict[str, Any] = {}
        if status:
            query["status"] = status
        if credit_code:
            query["credit_code"] = credit_code
        if overdue_on is not None:
            query["open"] = True
            query["next_due"] = {"$lt": overdue_on.isoformat()}
        if jurisdictions is not None:  # filtered by the server, so a window's limit never cuts off a match
            query["jurisdiction"] = {"$in": sorted(code for code in tables.divisions()
                                                   if any(tables.is_within(code, j) for j in jurisdictions))}

        async def window(low: int, high: int, limit: int) -> list[dict[str, Any]]:
            return await self.database[CASES].find({"seq": {"$gt": low, "$lte": high}, **query}) \
                .sort("seq", ASCENDING).limit(limit).to_list()

        max_seq = await _max_seq(self.database)
        docs, more = await read_page(window, after=after, first=first, max_seq=max_seq)
        return [(d["seq"], _case(d)) for d in docs], more

    async def overdue(self, day: date, *, after: str | None, limit: int) -> list[Case]:
        """Open cases with a deadline before ``day``, by id, ``limit`` at a time (the daily job reads them all)."""
        query: dict[str, Any] = {"open": True, "next_due": {"$lt": day.isoformat()}}
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = await self.database[CASES].find(query).sort("_id", ASCENDING).limit(limit).to_list()
        return [_case(d) for d in docs]

    async def of_enterprise(self, credit_code: str) -> list[Case]:
        docs = await self.database[CASES].find({"credit_code": credit_code}).sort("seq", ASCENDING).to_list()
        return [_case(d) for d in docs]

    async def published(self, *, jurisdiction: str | None = None, limit: int = 1000) -> list[Case]:
        """Cases with at least one published decision, newest filing first."""
        query: dict[str, Any] = {"decisions.published_on": {"$type": "string"}}
        docs = await self.database[CASES].find(query).sort("seq", -1).limit(limit).to_list()
        cases = [_case(d) for d in docs]
        if jurisdiction is not None:
            cases = [c for c in cases if tables.is_within(c.jurisdiction, jurisdiction)]
        return cases

    async def published_within(self, jurisdiction: str | None, *, limit: int) -> list[Case]:
        """Like ``published``, but ``limit`` counts only cases within ``jurisdiction`` (None: all): the cases are
        read in batches and filtered as they come, so a small district is not crowded out by the others."""
        query: dict[str, Any] = {"decisions.published_on": {"$type": "string"}}
        found: list[Case] = []
        cursor = self.database[CASES].find(query).sort("seq", -1).batch_size(200)
        try:
            async for doc in cursor:
                if jurisdiction is None or tables.is_within(doc["jurisdiction"], jurisdiction):
                    found.append(_case(doc))
                    if len(found) >= limit:
                        break
        finally:
            await cursor.close()
        return found

    async def unpublished(self, jurisdictions: list[str] | None) -> list[Case]:
        """Cases, open or closed, with a decided penalty decision not published yet, in ``jurisdictions``
        (None: all), in filing order."""
        query: dict[str, Any] = {"decisions": {"$elemMatch": {
            "decided_on": {"$type": "string"}, "published_on": None, "kind": {"$ne": DecisionKind.NO_PENALTY.value}}}}
        docs = await self.database[CASES].find(query).sort("seq", ASCENDING).to_list()
        return [_case(d) for d in docs if jurisdictions is None
                or any(tables.is_within(d["jurisdiction"], j) for j in jurisdictions)]

    # -- the daily deadline job ------------------------------------------------------------------------
    async def overdue_deadlines(self, day: date, *, batch: int) -> AsyncIterator[list[tuple[str, str, list[Deadline]]]]:
        """Every open case with a deadline before ``day`` as (id, jurisdiction, deadlines), ``batch`` at a time.

        One cursor over the (open, next_due) index, only the fields the job needs and no sort, so the
        server streams the matches and the client holds one batch."""
        cursor = self.database[CASES].find({"open": True, "next_due": {"$lt": day.isoformat()}},
                                           {"jurisdiction": 1, "deadlines": 1}, batch_size=batch)
        rows: list[tuple[str, str, list[Deadline]]] = []
        async for doc in cursor:
            rows.append((doc["_id"], doc["jurisdiction"], [Deadline.model_validate(d) for d in doc["deadlines"]]))
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows

    async def add_flags(self, flags: list[CaseFlag]) -> int:
        """Store the flags not stored yet (one per case and day); returns how many were new."""
        if not flags:
            return 0
        docs = [{"_id": f"{f.case_id}:{f.day.isoformat()}", **f.model_dump(mode="json", exclude={"at"}), "at": f.at}
                for f in flags]
        try:
            return len((await self.database[FLAGS].insert_many(docs, ordered=False)).inserted_ids)
        except BulkWriteError as exc:
            # Flags of an earlier run on the same day are kept as they are; any other error is not ours to hide.
            if not is_duplicate_key(exc) or any(e.get("code") != DUPLICATE_KEY for e in exc.details["writeErrors"]):
                raise
            return int(exc.details.get("nInserted", 0))

    async def flags_of(self, case_id: str) -> list[CaseFlag]:
        """The days the job found the case overdue, latest first."""
        docs = await self.database[FLAGS].find({"case_id": case_id}).sort("day", DESCENDING).to_list()
        return [CaseFlag.model_validate({k: v for k, v in d.items() if k != "_id"}) for d in docs]

    async def flag_counts(self, day: date, jurisdictions: list[str] | None) -> tuple[int, dict[str, int]]:
        """How many cases were flagged on ``day``, and their overdue deadlines by name (``None``: everywhere)."""
        cursor = self.database[FLAGS].find({"day": day.isoformat()}, {"_id": 0, "jurisdiction": 1, "deadlines.name": 1},
                                           batch_size=1000)
        cases, names = 0, Counter[str]()
        async for doc in cursor:
            if jurisdictions is None or any(tables.is_within(doc["jurisdiction"], j) for j in jurisdictions):
                cases += 1
                names.update(d["name"] for d in doc["deadlines"])
        return cases, dict(sorted(names.items()))

    async def insert_many_cases(self, cases: list[Case]) -> None:
        """Cases without their steps, in one bulk insert, numbered in order: for seeding benchmarks and tests
        (a case stored this way is no fold of steps, so its check fails)."""
        if not cases:
            return
        first = await reserve(self.database, CASES, len(cases))
        await self.database[CASES].insert_many([_case_document(c, first + i) for i, c in enumerate(cases)],
                                               ordered=False)


def _step_document(step: Step) -> dict[str, Any]:
    return {"_id": step.id, **step.model_dump(mode="json", exclude={"id", "at"}), "at": step.at}


async def _max_seq(database: Database) -> int:
    return await current(database, CASES)
