"""A tus upload resource: one client's upload of one registered evidence file, until it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "checksum", "termination", "expiration")


class ChecksumAlgorithm(StrEnum):
    """What ``Upload-Checksum`` may name: sha1 (the protocol requires it) and sha256."""

    SHA256 = "sha256"
    SHA1 = "sha1"


@dataclass(frozen=True)
class Checksum:
    """``Upload-Checksum: <algorithm> <base64 digest>`` of one PATCH body."""

    algorithm: ChecksumAlgorithm
    digest: bytes


@dataclass(frozen=True)
class TusUpload:
    """The upload resource ``/evidence/tus/<id>``; its offset and length are the evidence's own.

    Several resources may name the same evidence (a client that lost its upload URL creates another): they
    all see the same stored bytes, so a new one resumes where any other stopped.
    """

    id: str
    evidence_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime
