"""Evidence registrations: what a device says it captured, and the state of its upload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.device import UUID_PATTERN, GeoPoint


class UploadStatus(StrEnum):
    PENDING = "pending"  # registered; bytes missing or incomplete
    COMPLETE = "complete"  # every byte received, SHA-256 and MIME type verified
    WITHDRAWN = "withdrawn"  # withdrawn by its inspector (withdraw_evidence): takes no more bytes


class EvidenceRegistration(BaseModel):
    """Registered by the ``register_evidence`` sync operation (its record id is the evidence id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=UUID_PATTERN)
    task_id: str
    inspection_id: str
    kind: str  # photo | video | audio | document (core.evidence.media.EvidenceKind)
    mime_type: str
    size: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file_name: str = Field(default="", max_length=200)
    captured_at: datetime
    place: GeoPoint | None = None
    registered_by: str
    registered_at: datetime


class Evidence(EvidenceRegistration):
    status: UploadStatus = UploadStatus.PENDING
    received: int = 0  # bytes stored so far (the resume offset)
    file_id: str | None = None  # the GridFS file id (the SHA-256) once complete
    metadata: dict[str, Any] = Field(default_factory=dict)  # EXIF time and GPS, sniffed MIME type
    completed_at: datetime | None = None
