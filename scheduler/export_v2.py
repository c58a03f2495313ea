"""Builds the draw document of protocol v2 (``ecoinspect-draw/2``) around the one public record of the plan.

The public part (plan, status, objects with their replacements, replacements) is made by
``core.inspections.publication``; this adds what re-computing needs: the commitment document as
committed at freeze, the revealed secret, the public value, the seed, the drawn objects, the teams and
every replacement with its own announced public value (docs/draw-spec.md §8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scheduler import protocol


def replacement_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored replacement record as the document lists it (pending ones without value, seed or result);
    ``kind`` is the stored ``change`` (object or inspector)."""
    keys = ("number", "target", "staff_id", "reason", "filed_at", "announcement", "public_value",
            "completed_at", "seed", "replacement", "team", "keep", "removed", "unstaffed")
    return {"kind": record["change"], **{key: record.get(key) for key in keys}}


def draw_document(*, commitment: Mapping[str, Any], secret: str, public_value: str, seed: str,
                  drawn: Mapping[str, Sequence[str]], teams: Mapping[str, Sequence[str]],
                  unstaffed: Mapping[str, str], redraws: Sequence[Mapping[str, Any]],
                  public: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "format": protocol.DRAW_FORMAT,
        "commitment_hash": protocol.commitment_hash(commitment),
        "commitment": dict(commitment),
        "secret": secret, "public_value": public_value, "seed": seed,
        "drawn": {stratum: sorted(codes) for stratum, codes in sorted(drawn.items())},
        "teams": {code: list(team) for code, team in sorted(teams.items())},
        "unstaffed": dict(sorted(unstaffed.items())),
        "redraws": [replacement_entry(r) for r in sorted(redraws, key=lambda r: int(r["number"]))],
        "public": dict(public),
    }
