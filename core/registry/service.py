"""Registry operations, scoped to the viewer's jurisdictions."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import ANY_ROLE, SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import DomainError, FieldError, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from core.hooks import FactsChanged
from core.pagination import Page, check_first, decode_cursor, encode_cursor
from core.registry import repository as repo
from core.registry.importing import (
    ImportReport,
    Progress,
    content_hash,
    diff_records,
    import_enterprises,
    import_inspectors,
)
from core.registry.models import Enterprise, EnterpriseData, EnterpriseFilter, Inspector, Matter
from core.registry.rows import field_errors
from core.registry.sources import SourceError

EDITORS = SUPERVISORS  # who edits enterprise records


def _scope(viewer: Viewer, requested: str | None) -> list[str]:
    """The viewer's jurisdictions, to read from (a requested one must lie inside them)."""
    if not viewer.has_any(ANY_ROLE):
        raise PermissionDenied("registry data is for enforcement staff")
    if requested is not None and not viewer.covers(requested):
        raise PermissionDenied(f"jurisdiction {requested} is outside your scope")
    return list(viewer.jurisdictions)


class RegistryService:
    def __init__(self, database: Database, *, on_facts_changed: FactsChanged | None = None) -> None:
        self.database = database
        self.on_facts_changed = on_facts_changed
        self.enterprises = repo.EnterpriseRepository(database)
        self.inspectors = repo.InspectorRepository(database)
        self.matters = repo.MatterRepository(database)
        self.audit = AuditRepository(database)

    async def list_enterprises(
        self, viewer: Viewer, *, first: int, after: str | None, where: EnterpriseFilter
    ) -> Page[Enterprise]:
        check_first(first)
        items, more = await self.enterprises.page(scope=_scope(viewer, where.jurisdiction), where=where,
                                                  after=decode_cursor(after), first=first)
        return Page(items, [encode_cursor(e.seq) for e in items], more)

    async def count_enterprises(self, viewer: Viewer, *, where: EnterpriseFilter) -> int:
        """How many enterprises ``list_enterprises`` pages through (a connection's totalCount)."""
        return await self.enterprises.count(scope=_scope(viewer, where.jurisdiction), where=where)

    async def count_inspectors(self, viewer: Viewer, *, jurisdiction: str | None) -> int:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("the inspector database is for supervisors and administrators")
        return await self.inspectors.count(scope=_scope(viewer, jurisdiction), jurisdiction=jurisdiction)

    async def enterprises_by_code(self, viewer: Viewer, codes: list[str]) -> dict[str, Enterprise]:
        """Enterprises the viewer may see, by credit code (missing or out of scope: absent)."""
        if not viewer.has_any(ANY_ROLE):
            return {}
        found = await self.enterprises.by_codes(codes)
        return {code: e for code, e in found.items() if viewer.covers(e.jurisdiction)}

    async def update_enterprise(
        self, viewer: Viewer, *, credit_code: str, version: int, changes: dict[str, Any], request_id: str,
    ) -> Enterprise:
        if not viewer.has_any(EDITORS):
            raise PermissionDenied("only supervisors and administrators edit the registry")
        current = (await self.enterprises.by_codes([credit_code])).get(credit_code)
        if current is None or not viewer.covers(current.jurisdiction):
            raise NotFound(f"enterprise {credit_code} not found", field="creditCode")
        if "credit_code" in changes:
            raise ValidationFailed([FieldError("creditCode", "the credit code cannot change", ErrorCode.IMMUTABLE)])
        try:
            record = EnterpriseData.model_validate({**current.data().model_dump(), **changes})
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        if not viewer.covers(record.jurisdiction):
            raise PermissionDenied(f"jurisdiction {record.jurisdiction} is outside your scope")
        if current.version != version:
            raise StaleVersion(
                f"enterprise {credit_code} is at version {current.version}, not {version}", field="version"
            )
        digest = content_hash(record)
        if digest == content_hash(current.data()):
            return current
        now = datetime.now(UTC)
        doc = {**repo.enterprise_document(record, content_hash=digest), "updated_at": now}
        entry: dict[str, Any] = {"credit_code": credit_code, "version": version + 1, "at": now,
                                 "actor": viewer.username, "source": f"request:{request_id}",
                                 "changes": diff_records(current.data(), record)}
        async def store(session: Any) -> None:
            if await self.enterprises.apply_updates([(doc, version)], [entry], session=session):
                raise StaleVersion(f"enterprise {credit_code} changed meanwhile", field="version")  # aborts
            await self.audit.append(actor=viewer.username, action="updateEnterprise",
                                    target=f"enterprise:{credit_code}", request_id=request_id,
                                    outcome="ok", detail={"fields": sorted(entry["changes"])},
                                    session=session)

        await self.database.transaction(store)
        return (await self.enterprises.by_codes([credit_code]))[credit_code]

    async def history_by_code(self, viewer: Viewer, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Change history of enterprises the caller has already resolved within the viewer's scope."""
        if not viewer.has_any(ANY_ROLE):
            return {}
        return await self.enterprises.history_by_codes(codes)

    async def list_inspectors(self, viewer: Viewer, *, first: int, after: str | None,
                              jurisdiction: str | None) -> Page[Inspector]:
        check_first(first)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("the inspector database is for supervisors and administrators")
        items, more = await self.inspectors.page(scope=_scope(viewer, jurisdiction), jurisdiction=jurisdiction,
                                                 after=decode_cursor(after), first=first)
        return Page(items, [encode_cursor(i.seq) for i in items], more)

    async def inspector(self, viewer: Viewer, staff_id: str) -> Inspector:
        """An inspector record, for supervisors whose jurisdictions cover one of the inspector's."""
        found = (await self.inspectors.by_ids([staff_id])).get(staff_id)
        if (found is None or not viewer.has_any(SUPERVISORS)
                or not any(viewer.covers(j) for j in found.jurisdictions)):
            raise NotFound(f"inspector {staff_id} not found", field="id")
        return found

    async def list_matters(self, viewer: Viewer) -> list[Matter]:
        # The random-check item list is public (一公开): anyone may read it.
        return await self.matters.list_matters()

    async def matter(self, viewer: Viewer, code: str) -> Matter:
        """One matter of the published list, by code."""
        found = next((m for m in await self.list_matters(viewer) if m.code == code), None)
        if found is None:
            raise NotFound(f"matter {code} not found", field="code")
        return found

    async def update_and_redecide(
        self, viewer: Viewer, *, credit_code: str, version: int, changes: dict[str, Any], request_id: str,
    ) -> Enterprise:
        """``update_enterprise``, then the enterprise's policies decide again (injected hook).

        A refusal, of the edit or of the re-decision, is audited before it is raised.
        """
        try:
            enterprise = await self.update_enterprise(viewer, credit_code=credit_code, version=version,
                                                      changes=changes, request_id=request_id)
            if self.on_facts_changed is not None:
                await self.on_facts_changed(repo.with_code(credit_code), f"edit:{request_id}")
        except DomainError as exc:
            await self.audit.append(actor=viewer.username, action="updateEnterprise",
                                    target=f"enterprise:{credit_code}", request_id=request_id,
                                    outcome=f"refused:{exc.code}")
            raise
        return enterprise

    async def import_inspectors(self, path: Path, *, progress: Progress | None = None) -> ImportReport:
        """Upsert inspectors by staff id from a file (``ecoinspect import inspectors``); no policy depends on them."""
        return await import_inspectors(self.database, path, progress=progress)

    async def import_text(self, viewer: Viewer, *, content: str, fmt: str, request_id: str) -> ImportReport:
        """An uploaded file's text (``importEnterprises``) imported as ``fmt`` (csv, json, jsonl), rows outside the
        viewer's scope refused, then their policies decide again; audited either way. A file that cannot be read
        raises ``SourceError`` (audited as refused)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{fmt}"
            await asyncio.to_thread(path.write_text, content, "utf-8")
            try:
                report = await self.import_and_redecide(path, actor=viewer.username or "", allowed=viewer.covers)
            except SourceError as exc:
                await self.audit.append(actor=viewer.username, action="importEnterprises", target="enterprises",
                                        request_id=request_id, outcome=f"refused:{exc.code}")
                raise
        await self.audit.append(actor=viewer.username, action="importEnterprises", target="enterprises",
                                request_id=request_id, outcome="ok",
                                detail={"import_id": report.import_id, "rows": report.rows,
                                        "inserted": report.inserted, "updated": report.updated,
                                        "failed": report.failed})
        return report

    async def import_and_redecide(self, path: Path, *, actor: str, progress: Progress | None = None,
                                  allowed: Callable[[str], bool] | None = None) -> ImportReport:
        """Import enterprises from a file, then the imported enterprises' policies decide again."""
        report = await import_enterprises(self.database, path, actor=actor, progress=progress, allowed=allowed)
        if self.on_facts_changed is not None:
            await self.on_facts_changed(repo.of_import(report.import_id), f"import:{report.import_id}")
        return report
