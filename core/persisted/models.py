"""A persisted GraphQL document, named by the SHA-256 of its text."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class PersistedQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    sha256: str  # SHA-256 of the document's UTF-8 bytes, 64 lower-case hex digits (what Apollo clients send)
    document: str
    stored_at: datetime


def document_hash(document: str) -> str:
    """The SHA-256 of a document as clients compute it: over its UTF-8 bytes, in lower-case hex."""
    # surrogatepass: a lone surrogate still hashes here; the transport refuses it as unstorable afterwards
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()
