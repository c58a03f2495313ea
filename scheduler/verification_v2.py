"""Re-computes a draw of protocol v2 (format ``ecoinspect-draw/2``) from its document alone, check by check.

The commitment document inside is hashed and compared with the commitment published at freeze; every
population line is re-derived (π from the weights and quotas, weights from tier and flags when the plan's
own settings gave them); the seed, the drawn objects, the teams and every replacement are re-computed.
Lists that are sets (teams, unstaffed, replacements) are compared whatever their order in the document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from scheduler import protocol
from scheduler.verification import Check

EXCLUSION_REASONS = {"visit_cap", "recently_inspected"}


def verify(document: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    commitment = document["commitment"]
    published = document["public"]["plan"]["commitment"]
    digest = protocol.commitment_hash(commitment)
    check("commitment", digest == document["commitment_hash"] == published,
          f"SHA-256 of the canonical commitment document {digest[:16]}…, published at freeze {str(published)[:16]}…")
    check("format", commitment["format"] == protocol.COMMITMENT_FORMAT and commitment["algorithms"]
          == protocol.ALGORITHMS, f"{commitment['format']} with {commitment['algorithms']}")
    check("secret", hashlib.sha256(bytes.fromhex(document["secret"])).hexdigest() == commitment["secret_commitment"],
          "SHA-256(secret) equals the secret commitment of the commitment document")
    announcement = commitment["announcement"]
    check("public value", protocol.announced_value_ok(document["public_value"], announcement["pattern"]),
          f"{document['public_value']!r} in the announced format of {announcement['source']} "
          f"({announcement['event_date']})")
    _population(commitment, check)
    seed = protocol.seed(digest, document["secret"], document["public_value"])
    check("seed", seed == document["seed"], f"seed from the commitment, the secret and the public value: {seed[:16]}…")
    draw = protocol.Commitment(commitment)
    outcome = draw.draw(seed)
    check("objects", {k: v for k, v in outcome.drawn.items() if v} == {k: sorted(v) for k, v in
                                                                         document["drawn"].items() if v},
          f"{sum(len(v) for v in outcome.drawn.values())} objects re-drawn and compared one by one")
    check("inspectors", outcome.teams == document["teams"] and outcome.unstaffed == document["unstaffed"],
          f"{len(outcome.teams)} teams re-assigned and compared; {len(outcome.unstaffed)} unstaffed")
    state = outcome.state
    redraws = sorted(document.get("redraws", []), key=lambda r: int(r["number"]))
    check("redraw numbers", [int(r["number"]) for r in redraws] == list(range(1, len(redraws) + 1)),
          f"{len(redraws)} replacement(s) numbered 1, 2, … in sequence")
    for entry in redraws:
        _redraw(entry, draw, state, seed, check)
    objects = {o["credit_code"]: o for o in document["public"]["objects"]}
    check("public objects", set(objects) == set(state.stratum_of) and all(
        (objects[c]["status"] in ("drawn", "cancelled")) == (c in state.active) for c in state.stratum_of),
          f"the published objects list holds the {len(state.stratum_of)} objects drawn, replaced ones marked")
    return checks


def _population(commitment: Mapping[str, Any], check: Callable[[str, bool, str], bool]) -> None:
    index = {name: i for i, name in enumerate(commitment["population"]["columns"])}
    rows = commitment["population"]["rows"]
    codes = [r[index["credit_code"]] for r in rows]
    check("population order", codes == sorted(codes) and len(set(codes)) == len(codes),
          f"{len(rows)} members, sorted by credit code, no repeats")
    excluded = commitment["exclusions"]["rows"]
    check("exclusions", [e[0] for e in excluded] == sorted({e[0] for e in excluded})
          and all(e[1] in EXCLUSION_REASONS for e in excluded) and not set(codes) & {e[0] for e in excluded},
          f"{len(excluded)} excluded, each with its reason, none in the population")
    plan = commitment["plan"]
    if plan["ratio_source"] == "plan":
        parameters = plan["parameters"]
        wrong = [r[0] for r in rows if protocol.plan_weight(
            r[index["tier"]], r[index["positive_list"]], r[index["visited"]], parameters) != r[index["weight"]]]
        check("weights", not wrong, f"tier × positive-list factor × cycle boost; differing: {wrong[:3]}")
    members = [protocol.Member(r[index["credit_code"]], r[index["stratum"]], r[index["division"]], r[index["tier"]],
                               r[index["positive_list"]], r[index["visited"]], r[index["weight"]]) for r in rows]
    strata = commitment["strata"]
    table, pis = protocol.strata(members, {k: v["ratio"] for k, v in strata.items()},
                                 {k: v["minimum"] for k, v in strata.items()})
    check("quotas", table == strata, f"min(size, max(minimum, ceil(ratio × size))) per stratum: "
                                     f"{ {k: v['quota'] for k, v in table.items()} }")
    wrong_pi = [r[0] for r in rows if pis[r[0]] != r[index["pi"]]]
    check("inclusion probabilities", not wrong_pi, f"π = min(1, c·w), Σπ = quota; differing: {wrong_pi[:3]}")
    missing = {r[index["division"]] for r in rows} - set(commitment["divisions"])
    check("divisions", not missing, "every member's division has its committed path")


def _redraw(entry: Mapping[str, Any], draw: protocol.Commitment, state: protocol.State, seed: str,
            check: Callable[[str, bool, str], bool]) -> None:
    name = f"redraw {entry['number']}"
    value = entry.get("public_value")
    if value is None:
        check(f"{name} pending", entry.get("replacement") is None and not entry.get("team"),
              f"filed for {entry['announcement']['event_date']}, not completed: nothing drawn yet")
        return
    check(f"{name} public value", protocol.announced_value_ok(value, entry["announcement"]["pattern"]),
          f"{value!r} in the format announced when it was filed")
    expected = protocol.redraw_seed(seed, int(entry["number"]), value)
    check(f"{name} seed", expected == entry["seed"], "SHA-256(redraw domain ‖ seed ‖ number ‖ public value)")
    try:
        result = draw.replace(state, number=int(entry["number"]), kind=entry["kind"], target=entry["target"],
                              staff_id=entry.get("staff_id"), seed_hex=expected)
    except (ValueError, KeyError) as exc:
        check(f"{name} {entry['kind']}", False, f"cannot be re-computed: {exc}")
        return
    check(f"{name} {entry['kind']}", result.replacement == entry.get("replacement") and result.team == entry["team"]
          and result.unstaffed == entry.get("unstaffed"),
          f"{entry['target']} ({entry['reason']}): {result.replacement or ''} team {', '.join(result.team)}")
