"""Registry upkeep over the API: inspectors (create, certificates and posts, deactivation), their declared conflicts
of interest, and the matter list; each change validated, scoped to the viewer, and audited with the change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database, is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from core.reference import tables
from core.registry import repository as repo
from core.registry.credit_code import problem
from core.registry.models import Inspector, InspectorData, Matter
from core.registry.rows import field_errors

# What an inspector's record may change through updateInspector (staff id never; conflicts by their own mutations).
INSPECTOR_FIELDS = ("name", "certificate_number", "certificate_expires", "on_post", "jurisdictions")


def _require(viewer: Viewer, jurisdictions: list[str], what: str) -> None:
    if not viewer.has_any(SUPERVISORS):
        raise PermissionDenied("registry upkeep is for supervisors and administrators")
    outside = [j for j in jurisdictions if not viewer.covers(j)]
    if outside:
        raise PermissionDenied(f"{what}: jurisdiction {', '.join(outside)} is outside your scope")


def _validated(data: dict[str, Any]) -> InspectorData:
    try:
        return InspectorData.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None


class RegistryUpkeepService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.inspectors = repo.InspectorRepository(database)
        self.enterprises = repo.EnterpriseRepository(database)
        self.matters = repo.MatterRepository(database)
        self.audit = AuditRepository(database)

    async def _inspector(self, viewer: Viewer, staff_id: str) -> Inspector:
        """An inspector the viewer may change: every one of its jurisdictions within the viewer's (NOT_FOUND if
        none is, FORBIDDEN if only some are)."""
        found = (await self.inspectors.by_ids([staff_id])).get(staff_id)
        if found is None or not viewer.has_any(SUPERVISORS) or not any(viewer.covers(j) for j in found.jurisdictions):
            raise NotFound(f"inspector {staff_id} not found", field="staffId")
        _require(viewer, found.jurisdictions, f"inspector {staff_id}")
        return found

    async def create_inspector(self, viewer: Viewer, data: dict[str, Any], *, request_id: str) -> Inspector:
        record = _validated({**data, "conflicts": []})
        _require(viewer, record.jurisdictions, f"inspector {record.staff_id}")

        async def store(session: Any) -> None:
            await self.inspectors.insert(record, now=datetime.now(UTC), session=session)
            await self.audit.append(actor=viewer.username, action="createInspector",
                                    target=f"inspector:{record.staff_id}", request_id=request_id, outcome="ok",
                                    session=session)
        try:
            await self.database.transaction(store)
        except Exception as exc:
            if is_duplicate_key(exc):
                raise Conflict(f"inspector {record.staff_id} exists already", code=ErrorCode.INSPECTOR_EXISTS,
                               field="staffId") from None
            raise
        return (await self.inspectors.by_ids([record.staff_id]))[record.staff_id]

    async def update_inspector(self, viewer: Viewer, staff_id: str, *, version: int, changes: dict[str, Any],
                               request_id: str, action: str = "updateInspector") -> Inspector:
        """Change the fields of ``INSPECTOR_FIELDS`` given (certificate, posts, name, on post) at ``version``."""
        current = await self._inspector(viewer, staff_id)
        unknown = sorted(set(changes) - set(INSPECTOR_FIELDS))
        if unknown:
            raise ValidationFailed([FieldError(unknown[0], f"{unknown[0]} cannot change here", ErrorCode.IMMUTABLE)])
        record = _validated({**current.model_dump(include=set(InspectorData.model_fields)), **changes})
        _require(viewer, record.jurisdictions, f"inspector {staff_id}")
        return await self._replace(viewer, current, record, version=version, request_id=request_id, action=action,
                                   detail={"fields": sorted(changes)})

    async def deactivate_inspector(self, viewer: Viewer, staff_id: str, *, version: int, reason: str,
                                   request_id: str) -> Inspector:
        """Off post (离岗): drawn for no new task; the record and its history stay."""
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "deactivating an inspector needs a reason",
                                               ErrorCode.REASON_REQUIRED)])
        current = await self._inspector(viewer, staff_id)
        record = current.model_copy(update={"on_post": False})
        return await self._replace(viewer, current, InspectorData(**record.model_dump(
            include=set(InspectorData.model_fields))), version=version, request_id=request_id,
            action="deactivateInspector", detail={"reason": reason.strip()})

    async def declare_conflict(self, viewer: Viewer, staff_id: str, *, credit_code: str, version: int,
                               request_id: str, withdraw: bool = False) -> Inspector:
        """Declare (or withdraw) a conflict of interest with an enterprise: the draw never sends the inspector
        there (DOMAIN rule 4)."""
        code = credit_code.strip().upper()
        if problem(code):
            raise ValidationFailed([FieldError("creditCode", f"invalid credit code {code}",
                                               ErrorCode.INVALID_CREDIT_CODE)])
        current = await self._inspector(viewer, staff_id)
        if not withdraw and code not in await self.enterprises.by_codes([code]):
            raise NotFound(f"enterprise {code} not found", field="creditCode")
        if withdraw and code not in current.conflicts:
            raise NotFound(f"inspector {staff_id} declared no conflict with {code}", field="creditCode")
        conflicts = [c for c in current.conflicts if c != code] if withdraw else [*current.conflicts, code]
        record = InspectorData(**{**current.model_dump(include=set(InspectorData.model_fields)),
                                  "conflicts": conflicts})
        return await self._replace(viewer, current, record, version=version, request_id=request_id,
                                   action="withdrawConflict" if withdraw else "declareConflict",
                                   detail={"credit_code": code})

    async def _replace(self, viewer: Viewer, current: Inspector, record: InspectorData, *, version: int,
                       request_id: str, action: str, detail: dict[str, Any]) -> Inspector:
        if current.version != version:
            raise StaleVersion(f"inspector {current.staff_id} is at version {current.version}, not {version}",
                               field="version")

        async def store(session: Any) -> None:
            if not await self.inspectors.replace(record, version=version, now=datetime.now(UTC), session=session):
                raise StaleVersion(f"inspector {current.staff_id} changed meanwhile", field="version")
            await self.audit.append(actor=viewer.username, action=action, target=f"inspector:{current.staff_id}",
                                    request_id=request_id, outcome="ok", detail=detail, session=session)

        await self.database.transaction(store)
        return (await self.inspectors.by_ids([current.staff_id]))[current.staff_id]

    async def save_matter(self, viewer: Viewer, data: dict[str, Any], *, request_id: str, create: bool) -> Matter:
        """Add a matter to the list (create) or change one (its code stays). The list is province-wide."""
        _require(viewer, [tables.root_code()], "the matter list")
        try:
            matter = Matter.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        if matter.code.upper().startswith("TGT-"):
            raise ValidationFailed([FieldError("code", "TGT-* codes name targeted-task checklists, not matters",
                                               ErrorCode.INVALID_VALUE)])

        async def store(session: Any) -> None:
            if create:
                await self.matters.insert(matter, session=session)
            elif not await self.matters.replace(matter, session=session):
                raise NotFound(f"matter {matter.code} not found", field="code")
            await self.audit.append(actor=viewer.username, action="createMatter" if create else "updateMatter",
                                    target=f"matter:{matter.code}", request_id=request_id, outcome="ok",
                                    session=session)
        try:
            await self.database.transaction(store)
        except Exception as exc:
            if is_duplicate_key(exc):
                raise Conflict(f"matter {matter.code} exists already", code=ErrorCode.MATTER_EXISTS,
                               field="code") from None
            raise
        return matter
