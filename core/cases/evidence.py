"""Evidence by reference: each item a case relies on must exist, and is kept with its hash."""

from __future__ import annotations

from core.cases.models import EvidenceKind, EvidenceRef
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed
from core.evidence.models import UploadStatus
from core.evidence.repository import EvidenceRepository
from core.fieldwork.repository import FieldRepository
from core.nonsite.repository import MeterRepository


class EvidenceCatalog:
    """Looks up what a case refers to: a field record by its task's hash-chain head, an evidence file by its
    SHA-256 (complete uploads only), power alerts, drone flights, complaints and hotspot alerts by id."""

    def __init__(self, database: Database) -> None:
        self.files = EvidenceRepository(database)
        self.field = FieldRepository(database)
        self.nonsite = MeterRepository(database)

    async def resolve(self, refs: list[EvidenceRef]) -> list[EvidenceRef]:
        resolved = []
        for i, ref in enumerate(refs):
            digest = await self._hash(ref)
            if digest is None:
                raise ValidationFailed([FieldError(f"evidence.{i}", f"no {ref.kind.value} {ref.id}",
                                                   ErrorCode.UNKNOWN_EVIDENCE)])
            resolved.append(ref.model_copy(update={"sha256": digest or None}))
        return resolved

    async def _hash(self, ref: EvidenceRef) -> str | None:
        """The item's hash ("" when the kind has none), or None when it does not exist."""
        if ref.kind == EvidenceKind.EVIDENCE_FILE:
            found = await self.files.get(ref.id)
            return found.sha256 if found is not None and found.status == UploadStatus.COMPLETE else None
        if ref.kind == EvidenceKind.FIELD_RECORD:
            chain = await self.field.chain(ref.id)
            return str(chain["head"]) if chain else None
        if ref.kind == EvidenceKind.POWER_ALERT:
            return "" if await self.nonsite.alert(ref.id) is not None else None
        if ref.kind == EvidenceKind.DRONE_FLIGHT:
            return "" if await self.nonsite.flight(ref.id) is not None else None
        if ref.kind == EvidenceKind.COMPLAINT:
            return "" if await self.nonsite.complaint(ref.id) is not None else None
        return "" if await self.nonsite.hotspot(ref.id) is not None else None
