"""Verifiable randomness for draws: commitment, population hash and seed (RFC 3797 in spirit).

Freezing a plan publishes ``commitment = SHA-256(secret)`` and ``population_hash``; the draw
reveals ``secret``; anyone can then recompute
``seed = SHA-256("ecoinspect-seed-v1" | secret | population_hash | plan_id | public_value)``.
Because the secret is fixed before the population is frozen and the public value (for example
an official lottery number) is only known afterwards, nobody can steer the result.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

SEED_DOMAIN = b"ecoinspect-seed-v1"


def new_secret() -> str:
    return secrets.token_hex(32)


def commitment(secret_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(secret_hex)).hexdigest()


def population_hash(rows: Iterable[tuple[str, str, float]]) -> str:
    """SHA-256 of the canonical population listing: ``id<TAB>stratum<TAB>weight<LF>`` sorted by id."""
    digest = hashlib.sha256()
    for object_id, stratum, weight in rows:
        digest.update(f"{object_id}\t{stratum}\t{format_weight(weight)}\n".encode())
    return digest.hexdigest()


def format_weight(weight: float) -> str:
    return f"{weight:.6f}"


def derive_seed(*, secret_hex: str, population_digest: str, plan_id: str, public_value: str = "") -> str:
    parts = [SEED_DOMAIN, bytes.fromhex(secret_hex), population_digest.encode(), plan_id.encode(),
             public_value.encode()]
    # Length-prefix each part so that no two different inputs give the same byte string.
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()


def substream(seed_hex: str, label: str) -> int:
    """A 128-bit integer seed for one use of the randomness (``objects``, ``inspectors``...)."""
    return int.from_bytes(hashlib.sha256(bytes.fromhex(seed_hex) + label.encode()).digest()[:16], "big")
