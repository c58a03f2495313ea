"""Registry imports: stream rows, validate, upsert by key in batches, report every bad row.

A row is written whole or not at all (one document, plus its history entry in the same
transaction). Unchanged rows are not written, so re-importing a file changes nothing.
A repeated credit code is caught by a fixed-size Bloom filter; the rare hits are set aside
and settled exactly by a second pass over the file, so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import counters
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError
from core.registry import rows as row_format
from core.registry.dedupe import BloomFilter
from core.registry.models import Enterprise, EnterpriseData, InspectorData
from core.registry.repository import EnterpriseRepository, InspectorRepository, enterprise_document
from core.registry.sources import SourceRow, open_rows

BATCH_SIZE = 1000
MAX_REPORTED_ERRORS = 1000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    code: str
    message: str


@dataclass
class ImportReport:
    import_id: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    changed_fields: dict[str, int] = field(default_factory=dict)  # field -> rows of this import that changed it

    def reject(self, row: int, problems: Iterable[FieldError]) -> None:
        self.failed += 1
        for problem in problems:
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(RowProblem(row, problem.field, problem.code, problem.message))

    @property
    def errors_truncated(self) -> bool:
        return self.failed > len({e.row for e in self.errors})


def content_hash(record: EnterpriseData) -> str:
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def diff_records(old: EnterpriseData, new: EnterpriseData) -> dict[str, list[object]]:
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


@dataclass(frozen=True)
class Partial:
    """A row that leaves fields out: an update of a stored enterprise, merged when that record is read."""

    credit_code: str
    values: dict[str, Any]


Parsed = EnterpriseData | Partial


class _StaleRows(Exception):
    """Aborts the update transaction: some rows changed meanwhile (their codes in ``codes``)."""

    def __init__(self, codes: Any) -> None:
        super().__init__("stale rows")
        self.codes = codes


class EnterpriseImporter:
    """Upserts enterprises by credit code from a stream of source rows."""

    def __init__(
        self, database: Database, *, actor: str, progress: Progress | None = None,
        allowed: Callable[[str], bool] | None = None,
    ) -> None:
        self.database = database
        self.allowed = allowed or (lambda _jurisdiction: True)
        self.repository = EnterpriseRepository(database)
        self.actor = actor
        self.progress = progress or (lambda _n: None)
        self.report = ImportReport(import_id=str(uuid.uuid4()))
        self._bloom = BloomFilter()
        self._suspects: dict[str, list[tuple[int, Parsed]]] = {}

    async def run(self, rows: Iterator[SourceRow], *, rescan: Callable[[], Iterator[SourceRow]] | None) -> ImportReport:
        batch: list[tuple[int, Parsed]] = []
        for source in rows:
            self.report.rows += 1
            record = self._parse(source)
            if record is None:
                continue
            if self._bloom.add(record.credit_code):
                self._suspects.setdefault(record.credit_code, []).append((source.number, record))
                continue
            batch.append((source.number, record))
            if len(batch) >= BATCH_SIZE:
                await self._write(batch)
                batch = []
        await self._write(batch)
        await self._settle_suspects(rescan)
        self.report.errors.sort(key=lambda e: e.row)  # partial rows are checked later than full ones
        return self.report

    def _parse(self, source: SourceRow) -> Parsed | None:
        if source.errors:
            self.report.reject(source.number, source.errors)
            self.progress(1)
            return None
        if not set(row_format.ENTERPRISE_COLUMNS) <= set(source.values):
            # A partial row updates the stored enterprise: a field it leaves out stays as it is (an explicit
            # null or empty value clears it). Parsed once the stored record is read (``_write``).
            code = str(source.values.get("credit_code") or "").strip().upper()
            if not code:
                self.report.reject(source.number, [FieldError("credit_code", "credit_code is required",
                                                              ErrorCode.REQUIRED)])
                self.progress(1)
                return None
            return Partial(credit_code=code, values=dict(source.values))
        try:
            record = row_format.enterprise_from_row(source.values)
        except row_format.RowError as exc:
            self.report.reject(source.number, exc.errors)
            self.progress(1)
            return None
        if not self.allowed(record.jurisdiction):
            self.report.reject(source.number, [FieldError(
                "jurisdiction", f"jurisdiction {record.jurisdiction} is outside your scope", ErrorCode.OUT_OF_SCOPE)])
            self.progress(1)
            return None
        return record

    async def _settle_suspects(self, rescan: Callable[[], Iterator[SourceRow]] | None) -> None:
        """A Bloom hit is a repeat unless an exact pass shows it is the code's first row."""
        if not self._suspects:
            return
        first_rows: dict[str, int] = {}
        if rescan is not None:
            for source in rescan():
                code = str(source.values.get("credit_code", "")).strip().upper()
                if code in self._suspects and code not in first_rows and not source.errors:
                    first_rows[code] = source.number
        retry: list[tuple[int, Parsed]] = []
        for code, hits in self._suspects.items():
            for number, record in hits:
                if first_rows.get(code) == number:
                    retry.append((number, record))
                else:
                    self.report.reject(number, [FieldError(
                        "credit_code", f"credit code {code} appears earlier in this file",
                        ErrorCode.DUPLICATE_IN_FILE)])
                    self.progress(1)
        await self._write(retry)

    def _complete(self, batch: list[tuple[int, Parsed]],
                  stored: dict[str, Enterprise]) -> list[tuple[int, EnterpriseData]]:
        """Partial rows merged over their stored enterprise (a new enterprise needs every field)."""
        complete: list[tuple[int, EnterpriseData]] = []
        for number, item in batch:
            if isinstance(item, EnterpriseData):
                complete.append((number, item))
                continue
            current = stored.get(item.credit_code)
            values = {**row_format.enterprise_to_row(current.data()), **item.values} if current else item.values
            try:
                record = row_format.enterprise_from_row(values)
            except row_format.RowError as exc:
                self.report.reject(number, exc.errors)
                self.progress(1)
                continue
            if not self.allowed(record.jurisdiction):
                self.report.reject(number, [FieldError("jurisdiction", f"jurisdiction {record.jurisdiction} is "
                                                       "outside your scope", ErrorCode.OUT_OF_SCOPE)])
                self.progress(1)
                continue
            complete.append((number, record))
        return complete

    async def _write(self, parsed: list[tuple[int, Parsed]]) -> None:
        if not parsed:
            return
        stored = await self.repository.by_codes([r.credit_code for _, r in parsed])
        batch = self._complete(parsed, stored)
        now = datetime.now(UTC)
        new_docs: list[dict[str, object]] = []
        new_rows: list[tuple[int, EnterpriseData]] = []
        updates: list[tuple[dict[str, object], int]] = []
        history: list[dict[str, object]] = []
        for number, record in batch:
            digest = content_hash(record)
            current = stored.get(record.credit_code)
            if current is None:
                new_rows.append((number, record))
                new_docs.append({**enterprise_document(record, content_hash=digest), "version": 1,
                                 "created_at": now, "updated_at": now, "import_id": self.report.import_id})
            elif not self.allowed(current.jurisdiction):
                self.report.reject(number, [FieldError(
                    "jurisdiction", f"enterprise {record.credit_code} is registered outside your scope",
                    ErrorCode.OUT_OF_SCOPE)])
            elif content_hash(current.data()) == digest:
                self.report.unchanged += 1
            else:
                doc = {**enterprise_document(record, content_hash=digest), "updated_at": now,
                       "import_id": self.report.import_id}
                updates.append((doc, current.version))
                changes = diff_records(current.data(), record)
                history.append({"credit_code": record.credit_code, "version": current.version + 1,
                                "at": now, "actor": self.actor, "source": f"import:{self.report.import_id}",
                                "changes": changes})
        if new_docs:
            first = await counters.reserve(self.database, "enterprises", len(new_docs))
            for offset, doc in enumerate(new_docs):
                doc["seq"] = first + offset
            raced = await self.repository.insert_many(new_docs)
            self.report.inserted += len(new_docs) - len(raced)
            for index in raced:
                number, _ = new_rows[index]
                self.report.reject(number, [FieldError(
                    "credit_code", "written concurrently by another import; re-run to update",
                    ErrorCode.CONCURRENT_WRITE)])
        if updates:
            stale = await self._apply(updates, history)
            if stale:
                retry: list[tuple[int, Parsed]] = []
                for number, record in batch:
                    if record.credit_code in stale:
                        self.report.reject(number, [FieldError(
                            "credit_code", "changed concurrently; re-run to update", ErrorCode.STALE_VERSION)])
                    elif any(doc["credit_code"] == record.credit_code for doc, _ in updates):
                        retry.append((number, record))
                await self._write(retry)
                return
            self.report.updated += len(updates)
            for entry in history:
                changed: dict[str, Any] = entry["changes"]  # type: ignore[assignment]
                for name in changed:
                    self.report.changed_fields[name] = self.report.changed_fields.get(name, 0) + 1
        self.progress(len(batch))

    async def _apply(self, updates: list[tuple[dict[str, Any], int]], history: list[dict[str, Any]]) -> set[str]:
        """Write the updates in one transaction; none is kept when any row changed meanwhile (its codes returned)."""
        async def store(session: Any) -> None:
            stale = await self.repository.apply_updates(updates, history, session=session)
            if stale:
                raise _StaleRows(stale)

        try:
            await self.database.transaction(store)
        except _StaleRows as exc:
            return set(exc.codes)
        return set()


async def import_enterprises(
    database: Database, path: Path, *, actor: str, progress: Progress | None = None,
    allowed: Callable[[str], bool] | None = None,
) -> ImportReport:
    importer = EnterpriseImporter(database, actor=actor, progress=progress, allowed=allowed)
    required = ["credit_code", "name", "jurisdiction", "industry_code"]
    return await importer.run(open_rows(path, required), rescan=lambda: open_rows(path, required))


INSPECTOR_REQUIRED = ["staff_id", "name", "certificate_number", "certificate_expires", "jurisdictions"]


async def import_inspectors(
    database: Database, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    return await import_inspector_rows(database, open_rows(path, INSPECTOR_REQUIRED), progress=progress)


async def import_inspector_rows(
    database: Database, rows: Iterator[SourceRow], *, progress: Progress | None = None
) -> ImportReport:
    report = ImportReport(import_id=str(uuid.uuid4()))
    repository = InspectorRepository(database)
    seen: set[str] = set()  # inspector files are small (tens of thousands at national scale)
    batch: list[InspectorData] = []

    async def flush() -> None:
        if batch:
            first = await counters.reserve(database, "inspectors", len(batch))
            inserted, updated = await repository.upsert_many(batch, first, datetime.now(UTC))
            report.inserted += inserted
            report.updated += updated
            report.unchanged += len(batch) - inserted - updated
            (progress or (lambda _n: None))(len(batch))
            batch.clear()

    for source in rows:
        report.rows += 1
        if source.errors:
            report.reject(source.number, source.errors)
            continue
        try:
            record = row_format.inspector_from_row(source.values)
        except row_format.RowError as exc:
            report.reject(source.number, exc.errors)
            continue
        if record.staff_id in seen:
            report.reject(source.number, [FieldError(
                "staff_id", f"staff id {record.staff_id} appears earlier in this file", ErrorCode.DUPLICATE_IN_FILE)])
            continue
        seen.add(record.staff_id)
        batch.append(record)
        if len(batch) >= BATCH_SIZE:
            await flush()
    await flush()
    return report
