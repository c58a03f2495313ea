"""Draw protocol v2: the commitment document, the seed, the draw and its replacements, as pure functions.

Everything the draw uses is committed at freeze in one document (format ``ecoinspect-commitment/2``) whose
canonical JSON (scheduler/canonical.py) is hashed; the seed is
``SHA-256("ecoinspect-seed-v2" ‖ commitment hash ‖ secret ‖ UTF-8(public value))`` with the public value
taken from a source announced in that document. Objects are drawn by scheduler/pips.py, teams by
scheduler/teams.py; replacement ``n`` uses ``SHA-256("ecoinspect-redraw-v2" ‖ seed ‖ uint32be(n) ‖
UTF-8(its own public value))``. docs/draw-spec.md specifies every byte; tools/verify_draw.py re-implements
it with the standard library alone.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from core.error_codes import ErrorCode
from scheduler import canonical, pips, teams

COMMITMENT_FORMAT = "ecoinspect-commitment/2"
DRAW_FORMAT = "ecoinspect-draw/2"
SEED_ALGORITHM = "seed-sha256-v2"
ALGORITHMS = {"seed": SEED_ALGORITHM, "objects": pips.ALGORITHM, "inspectors": teams.ALGORITHM}
COLUMNS = ["credit_code", "stratum", "division", "tier", "positive_list", "visited", "weight", "pi"]
EXCLUSION_COLUMNS = ["credit_code", "reason"]
SEED_DOMAIN, REDRAW_DOMAIN = b"ecoinspect-seed-v2", b"ecoinspect-redraw-v2"


@dataclass(frozen=True)
class Member:
    """A member of a frozen population, before its π is known."""

    credit_code: str
    stratum: str
    division: str
    tier: str
    positive_list: bool
    visited: bool
    weight: str  # six fractional digits


def plan_weight(tier: str, positive_list: bool, visited: bool, parameters: Mapping[str, Any]) -> str:
    """The weight a plan's own settings give (ratio source ``plan``): tier weight × positive-list factor (if on
    the list) × cycle boost (if not visited this cycle), exact decimals rounded half-even to six digits."""
    value = Decimal(parameters["tier_weights"][tier])
    if positive_list:
        value *= Decimal(parameters["positive_list_factor"])
    if not visited:
        value *= Decimal(parameters["cycle_boost"])
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def strata(members: Sequence[Member], ratios: Mapping[str, str], minimums: Mapping[str, int]
           ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per stratum ``{ratio, minimum, size, quota}``, and every member's π as ``"n/d"``."""
    groups: dict[str, list[int]] = {}
    for member in members:
        groups.setdefault(member.stratum, []).append(pips.weight_units(member.weight))
    table: dict[str, dict[str, Any]] = {}
    designs: dict[str, pips.Design] = {}
    for label, weights in sorted(groups.items()):
        minimum = int(minimums.get(label, 0))
        wanted = pips.quota(len(weights), pips.parse_ratio(ratios[label]), minimum)
        designs[label] = pips.design(weights, wanted)
        table[label] = {"ratio": ratios[label], "minimum": minimum, "size": len(weights), "quota": wanted}
    pis = {m.credit_code: designs[m.stratum].pi_text(pips.weight_units(m.weight)) for m in members}
    return table, pis


def population_rows(members: Sequence[Member], pis: Mapping[str, str]) -> list[list[Any]]:
    return [[m.credit_code, m.stratum, m.division, m.tier, m.positive_list, m.visited, m.weight,
             pis[m.credit_code]] for m in sorted(members, key=lambda m: m.credit_code)]


def commitment_hash(document: Mapping[str, Any]) -> str:
    return canonical.digest(document)


def population_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical ``{"exclusions": …, "population": …}``: the population part of the commitment."""
    return canonical.digest({"population": document["population"], "exclusions": document["exclusions"]})


def announced_value_ok(value: str, pattern: str) -> bool:
    """The value is in the announced canonical format: the whole value matches the pattern."""
    return bool(value) and re.fullmatch(pattern, value) is not None


def seed(commitment_hex: str, secret_hex: str, public_value: str) -> str:
    return hashlib.sha256(SEED_DOMAIN + bytes.fromhex(commitment_hex) + bytes.fromhex(secret_hex)
                          + public_value.encode("utf-8")).hexdigest()


def redraw_seed(seed_hex: str, number: int, public_value: str) -> str:
    return hashlib.sha256(REDRAW_DOMAIN + bytes.fromhex(seed_hex) + number.to_bytes(4, "big")
                          + public_value.encode("utf-8")).hexdigest()


@dataclass
class State:
    """The plan's tasks as the draw and the replacements so far left them."""

    stratum_of: dict[str, str]  # every object ever drawn → stratum
    active: dict[str, list[str]]  # active object → team (empty if unstaffed)
    removed: dict[str, list[str]] = field(default_factory=dict)  # object → inspectors replaced on it

    def held(self, *, without: str | None = None) -> dict[str, int]:
        return dict(Counter(s for code, team in self.active.items() if code != without for s in team))


@dataclass(frozen=True)
class Outcome:
    drawn: dict[str, list[str]]
    teams: dict[str, list[str]]
    unstaffed: dict[str, str]
    state: State


@dataclass(frozen=True)
class Replacement:
    replacement: str | None  # kind object: the object drawn instead
    team: list[str]
    keep: list[str]
    removed: list[str]
    unstaffed: str | None


class Commitment:
    """A commitment document read for drawing: members, strata, divisions and the inspector pool."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        index = {name: i for i, name in enumerate(document["population"]["columns"])}
        self.rows = [(r[index["credit_code"]], r[index["stratum"]], r[index["division"]], r[index["weight"]])
                     for r in document["population"]["rows"]]
        self.divisions: Mapping[str, list[str]] = document["divisions"]
        self.pool = [teams.Inspector.from_snapshot(e) for e in document["inspectors"]]
        inspection = document["inspection"]
        self.day, self.team_size = str(inspection["date"]), int(inspection["team_size"])
        self.quotas = {label: int(s["quota"]) for label, s in document["strata"].items()}
        self.division_of = {code: division for code, _, division, _ in self.rows}

    def path(self, code: str) -> list[str]:
        return list(self.divisions[self.division_of[code]])

    def draw(self, seed_hex: str) -> Outcome:
        units = [(code, stratum, pips.weight_units(weight)) for code, stratum, _, weight in self.rows]
        drawn = pips.draw(units, self.quotas, seed=bytes.fromhex(seed_hex), number=0)
        stratum_of = {code: s for s, codes in drawn.items() for code in codes}
        staffing = teams.assign({code: self.path(code) for code in stratum_of}, self.pool,
                                seed=bytes.fromhex(seed_hex), number=0, day=self.day, team_size=self.team_size)
        state = State(stratum_of=stratum_of, active={c: list(staffing.teams.get(c, [])) for c in stratum_of})
        return Outcome(drawn=drawn, teams=staffing.teams, unstaffed=staffing.unstaffed, state=state)

    def replace(self, state: State, *, number: int, kind: str, target: str, staff_id: str | None,
                seed_hex: str) -> Replacement:
        """Replacement ``number`` on ``state`` (which it updates); ValueError when it has nothing to replace."""
        if target not in state.active:
            raise ValueError(f"{target} has no active task")
        seed_bytes = bytes.fromhex(seed_hex)
        if kind == "inspector":
            team = state.active[target]
            if staff_id not in team:
                raise ValueError(f"{staff_id} is not on the team of {target}")
            keep = [s for s in team if s != staff_id]
            removed = sorted({*state.removed.get(target, []), str(staff_id)})
            staffing = teams.assign({target: self.path(target)}, self.pool, seed=seed_bytes, number=number,
                                    day=self.day, team_size=self.team_size - len(keep), held=state.held(),
                                    exclude=keep + removed)
            new_team = keep + staffing.teams.get(target, [])
            reason = staffing.unstaffed.get(target)
            if reason is None:
                state.active[target], state.removed[target] = new_team, removed
            return Replacement(None, new_team if reason is None else team, keep, removed, reason)
        if kind != "object":
            raise ValueError(f"kind {kind} is neither object nor inspector")
        stratum = state.stratum_of[target]
        members = {code: pips.weight_units(weight) for code, s, _, weight in self.rows
                   if s == stratum and code not in state.stratum_of}
        if not members:
            return Replacement(None, [], [], [], ErrorCode.NO_REPLACEMENT.value)
        chosen = pips.select(members, 1, seed=seed_bytes, number=number, stratum=stratum)[0]
        staffing = teams.assign({chosen: self.path(chosen)}, self.pool, seed=seed_bytes, number=number,
                                day=self.day, team_size=self.team_size, held=state.held(without=target))
        del state.active[target]
        state.stratum_of[chosen] = stratum
        state.active[chosen] = staffing.teams.get(chosen, [])
        return Replacement(chosen, state.active[chosen], [], [], staffing.unstaffed.get(chosen))


def exclusions_rows(excluded: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[code, reason] for code, reason in sorted(excluded)]


def commitment_document(*, plan: Mapping[str, Any], frozen_at: str, secret_commitment: str,
                        announcement: Mapping[str, Any], inspection: Mapping[str, Any], members: Sequence[Member],
                        ratios: Mapping[str, str], minimums: Mapping[str, int],
                        excluded: Iterable[tuple[str, str]], divisions: Mapping[str, Sequence[str]],
                        inspectors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The document published at freeze; its canonical hash is the plan's commitment (docs/draw-spec.md §3)."""
    table, pis = strata(members, ratios, minimums)
    document = {
        "format": COMMITMENT_FORMAT, "algorithms": dict(ALGORITHMS), "plan": dict(plan), "frozen_at": frozen_at,
        "secret_commitment": secret_commitment, "announcement": dict(announcement), "inspection": dict(inspection),
        "strata": table, "population": {"columns": list(COLUMNS), "rows": population_rows(members, pis)},
        "exclusions": {"columns": list(EXCLUSION_COLUMNS), "rows": exclusions_rows(excluded)},
        "divisions": {code: list(path) for code, path in sorted(divisions.items())},
        "inspectors": sorted((dict(entry) for entry in inspectors), key=lambda e: str(e["staff_id"])),
    }
    canonical.dumps(document)  # refuse a value without a canonical form (a float) at freeze, not at the draw
    return document
