"""Re-computes a published draw from its document alone and says what matched.

Documents of protocol v2 (``ecoinspect-draw/2``) are checked by ``verification_v2``; a v1 document
(format ``ecoinspect-draw/1``) holds the population listing, the revealed secret,
the public value, the ratios and the inspector snapshot; nothing else is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from scheduler import assignment, randomness, replacement, sampling

FORMAT = "ecoinspect-draw/1"
V2_FORMAT = "ecoinspect-draw/2"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def verify(document: Mapping[str, Any]) -> list[Check]:
    """The checks of a draw document of either protocol: v2 (``ecoinspect-draw/2``, the running one) or v1."""
    if document.get("format") == V2_FORMAT:
        from scheduler import verification_v2  # imports this module for Check

        return verification_v2.verify(document)
    return _verify_v1(document)


def _verify_v1(document: Mapping[str, Any]) -> list[Check]:
    """Protocol v1 (legacy): draws published before v2 keep verifying under their own algorithms."""
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name, ok, detail))
        return ok

    if not check("format", document.get("format") == FORMAT, f"expected {FORMAT}, found {document.get('format')}"):
        return checks
    plan, rnd, objects, staff = (document["plan"], document["randomness"], document["objects"],
                                 document["inspectors"])
    rows = [(str(r[0]), str(r[1]), float(r[2])) for r in document["population"]["rows"]]
    ids = [r[0] for r in rows]
    check("population order", ids == sorted(ids) and len(set(ids)) == len(ids),
          f"{len(rows)} objects, sorted by id, no repeats")
    digest = randomness.population_hash(rows)
    check("population hash", digest == document["population"]["hash"],
          f"recomputed {digest[:16]}…, published {str(document['population']['hash'])[:16]}…")
    check("commitment", randomness.commitment(rnd["secret"]) == rnd["commitment"],
          "SHA-256(secret) equals the commitment published when the plan was frozen")
    seed = randomness.derive_seed(secret_hex=rnd["secret"], population_digest=document["population"]["hash"],
                                  plan_id=plan["id"], public_value=rnd.get("public_value") or "")
    check("seed", seed == rnd["seed"], f"seed from secret, population hash, plan id and public value: {seed[:16]}…")
    population = sampling.Population.from_rows(rows)
    expected_quotas = sampling.quotas(population.sizes(), plan["ratios"], plan.get("minimums"))
    check("quotas", expected_quotas == objects["quotas"],
          f"ceil(ratio × stratum size) per stratum: {expected_quotas}")
    check("object algorithm", objects["algorithm"] == sampling.ALGORITHM, f"{objects['algorithm']}")
    drawn = sampling.draw(population, objects["quotas"], seed)
    published = {k: list(v) for k, v in objects["drawn"].items() if v}
    check("objects", {k: v for k, v in drawn.items() if v} == published,
          f"{sum(len(v) for v in drawn.values())} objects re-drawn and compared one by one")
    check("inspector algorithm", staff["algorithm"] == assignment.ALGORITHM, f"{staff['algorithm']}")
    pool = [assignment.Candidate(
        staff_id=c["staff_id"], jurisdictions=tuple(c["jurisdictions"]),
        certificate_expires=date.fromisoformat(c["certificate_expires"]), on_post=bool(c["on_post"]),
        conflicts=frozenset(c.get("conflicts", ())), visited=frozenset(c.get("visited", ())),
        open_load=int(c.get("open_load", 0)))
        for c in staff["pool"]]
    slots = [assignment.TaskSlot(t["object_id"], tuple(t["jurisdiction_path"])) for t in staff["tasks"]]
    drawn_ids = sorted(i for v in drawn.values() for i in v)
    check("tasks", sorted(t.object_id for t in slots) == drawn_ids, "one task per drawn object")
    result = assignment.assign(slots, pool, seed_hex=seed, on=date.fromisoformat(staff["date"]),
                               team_size=int(staff["team_size"]))
    check("inspectors", result.teams == staff["teams"] and result.unstaffed == staff["unstaffed"],
          f"{len(result.teams)} teams re-assigned and compared; {len(result.unstaffed)} unstaffed")
    for entry in document.get("redraws", []):
        _verify_redraw(entry, rnd["seed"], rows, pool, set(drawn_ids), check)
    return checks


def _verify_redraw(entry: Mapping[str, Any], seed: str, rows: list[tuple[str, str, float]],
                   pool: list[assignment.Candidate], drawn: set[str], check: Any) -> None:
    name = f"redraw {entry['number']}"
    expected_seed = replacement.redraw_seed(seed, int(entry["number"]))
    check(f"{name} seed", expected_seed == entry["seed"], "SHA-256(draw seed + redraw number)")
    slot = assignment.TaskSlot(entry.get("replacement") or entry["target"], tuple(entry["jurisdiction_path"]))
    on = date.fromisoformat(entry["inspection_date"])
    if entry["change"] == "object":
        check(f"{name} drawn before", drawn <= set(entry["already_drawn"]), "includes every object of the draw")
        chosen = replacement.replace_object(rows, stratum=entry["stratum"], already_drawn=set(entry["already_drawn"]),
                                            seed_hex=expected_seed)
        check(f"{name} object", chosen == entry["replacement"],
              f"replacement for {entry['target']} ({entry['reason']}): {chosen}")
    result = replacement.replace_inspectors(slot, pool, keep=entry.get("keep", []), removed=entry.get("removed", []),
                                            loads=entry["loads"], seed_hex=expected_seed, on=on,
                                            team_size=int(entry["team_size"]))
    check(f"{name} team", result.team == entry["team"], f"team for {slot.object_id}: {', '.join(result.team)}")
