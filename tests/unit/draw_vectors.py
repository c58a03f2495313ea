"""The test vectors of draw protocol v2 (docs/draw-v2-vectors.json): inputs, and every intermediate value.

``python tests/unit/draw_vectors.py > docs/draw-v2-vectors.json`` writes them; tests/unit/test_draw_protocol.py
checks that the implementation still gives exactly what the file says, and that both verifiers accept the
document in it and refuse tampered copies.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from scheduler import canonical, export_v2, pips, protocol

ROOT = Path(__file__).resolve().parents[2]
PATH = ROOT / "docs" / "draw-v2-vectors.json"
SECRET = "00112233445566778899aabbccddeeff" * 2
PUBLIC_VALUE = "3 1 4 1 5"
REDRAW_VALUES = {1: "2 7 1 8 2", 2: "1 6 1 8 0"}
PARAMETERS = {"tier_weights": {"green": "0.5", "blue": "1", "yellow": "2", "red": "3", "unrated": "1"},
              "positive_list_factor": "0.2", "cycle_boost": "2", "yearly_visit_cap": 4,
              "exclude_inspected_within_days": 0}
TIERS = ("green", "blue", "yellow", "red", "unrated")


def members() -> list[protocol.Member]:
    """16 enterprises: 6 key, 10 general, tiers and flags cycling, in two counties."""
    found = []
    for i in range(16):
        tier, positive, visited = TIERS[i % 5], i % 4 == 1, i % 3 == 0
        found.append(protocol.Member(
            credit_code=f"91610100TEST{i:05d}X"[:18], stratum="key" if i < 6 else "general",
            division="610102" if i % 2 else "610103", tier=tier, positive_list=positive, visited=visited,
            weight=protocol.plan_weight(tier, positive, visited, PARAMETERS)))
    return found


def inspectors() -> list[dict[str, Any]]:
    return [
        {"staff_id": "XA-001", "jurisdictions": ["610100"], "certificate_expires": "2030-12-31", "on_post": True,
         "conflicts": ["91610100TEST00002X"], "visited": [], "open_load": 3},
        {"staff_id": "XA-002", "jurisdictions": ["610102"], "certificate_expires": "2030-12-31", "on_post": True,
         "conflicts": [], "visited": ["91610100TEST00001X"], "open_load": 0},
        {"staff_id": "XA-003", "jurisdictions": ["610103"], "certificate_expires": "2030-12-31", "on_post": True,
         "conflicts": [], "visited": [], "open_load": 1},
        {"staff_id": "XA-004", "jurisdictions": ["610000"], "certificate_expires": "2027-01-01", "on_post": True,
         "conflicts": [], "visited": [], "open_load": 0},
        {"staff_id": "XA-005", "jurisdictions": ["610100"], "certificate_expires": "2030-12-31", "on_post": False,
         "conflicts": [], "visited": [], "open_load": 0},
        {"staff_id": "XA-006", "jurisdictions": ["610100"], "certificate_expires": "2030-12-31", "on_post": True,
         "conflicts": [], "visited": [], "open_load": 2},
    ]


def commitment() -> dict[str, Any]:
    return protocol.commitment_document(
        plan={"id": "vector-plan-1", "name": "测试计划", "jurisdiction": "610100", "matters": ["STJ-WRY-01"],
              "period": ["2027-01-01", "2027-03-31"], "ratio_source": "plan", "parameters": PARAMETERS},
        frozen_at="2026-12-01T09:00:00+00:00", secret_commitment=hashlib.sha256(bytes.fromhex(SECRET)).hexdigest(),
        announcement={"source": "中国体育彩票排列5", "draw_number": "26330", "event_date": "2026-12-01",
                      "event_at": "2026-12-01T21:25:00+08:00", "pattern": "[0-9] [0-9] [0-9] [0-9] [0-9]",
                      "earliest_draw": "2026-12-01T22:25:00+08:00"},
        inspection={"date": "2027-01-01", "window": ["2027-01-01", "2027-03-31"], "team_size": 2,
                    "max_tasks_per_inspector": 60},
        members=members(), ratios={"key": "0.5", "general": "0.25"}, minimums={"key": 0, "general": 0},
        excluded=[("91610100TEST00099X", "visit_cap"), ("91610100TEST00098X", "recently_inspected")],
        divisions={"610102": ["610102", "610100", "610000"], "610103": ["610103", "610100", "610000"]},
        inspectors=inspectors())


def build() -> dict[str, Any]:
    document = commitment()
    digest = protocol.commitment_hash(document)
    seed = protocol.seed(digest, SECRET, PUBLIC_VALUE)
    draw = protocol.Commitment(document)
    outcome = draw.draw(seed)
    state = outcome.state
    drawn_key = outcome.drawn["key"][0]
    staffed = sorted(outcome.teams)
    redraws = []
    for number, kind, target, staff in ((1, "object", drawn_key, None),
                                        (2, "inspector", staffed[-1], outcome.teams[staffed[-1]][0])):
        value = REDRAW_VALUES[number]
        redraw_seed = protocol.redraw_seed(seed, number, value)
        result = draw.replace(state, number=number, kind=kind, target=target, staff_id=staff, seed_hex=redraw_seed)
        redraws.append({"number": number, "change": kind, "target": target, "staff_id": staff,
                        "reason": "enterprise closed" if kind == "object" else "recusal accepted",
                        "filed_at": "2026-12-02T08:00:00+00:00",
                        "announcement": {**document["announcement"], "draw_number": f"2633{number}",
                                         "event_date": f"2026-12-0{number + 1}",
                                         "event_at": f"2026-12-0{number + 1}T21:25:00+08:00",
                                         "earliest_draw": f"2026-12-0{number + 1}T22:25:00+08:00"},
                        "public_value": value, "completed_at": f"2026-12-0{number + 2}T08:00:00+00:00",
                        "seed": redraw_seed, "replacement": result.replacement, "team": result.team,
                        "keep": result.keep, "removed": result.removed, "unstaffed": result.unstaffed})
    replaced = {r["target"]: r for r in redraws if r["change"] == "object"}
    drew = {r["replacement"]: r for r in redraws if r["change"] == "object"}
    objects = [{"credit_code": code, "status": "replaced" if code in replaced else "drawn",
                "drawn_in": drew[code]["number"] if code in drew else 0} for code in sorted(state.stratum_of)]
    public = {"plan": {"id": "vector-plan-1", "commitment": digest, "status": "drawn"}, "objects": objects}
    seed_bytes = bytes.fromhex(seed)
    rows = document["population"]["rows"]
    return {
        "about": "Test vectors of docs/draw-spec.md (draw protocol v2). All hashes are SHA-256, lowercase hex.",
        "inputs": {"secret": SECRET, "public_value": PUBLIC_VALUE, "commitment": document},
        "commitment_canonical_prefix": canonical.dumps(document)[:120].decode("utf-8", "replace"),
        "commitment_hash": digest,
        "population_hash": protocol.population_hash(document),
        "seed": seed,
        "keys": {r[0]: pips.member_key(seed_bytes, 0, r[0]).hex() for r in rows},
        "starts": {label: pips.start(seed_bytes, 0, label, pips.design(
            [pips.weight_units(r[6]) for r in rows if r[1] == label], info["quota"]).scale)
            for label, info in document["strata"].items()},
        "drawn": outcome.drawn, "teams": outcome.teams, "unstaffed": outcome.unstaffed,
        "quota_cases": [{"size": size, "ratio": ratio, "minimum": minimum,
                         "quota": pips.quota(size, pips.parse_ratio(ratio), minimum)}
                        for size, ratio, minimum in ((30, "0.1", 0), (20, "0.05", 0), (21, "0.05", 0),
                                                     (7, "0.25", 3), (4, "1.0", 0), (9, "0", 0), (3, "0.5", 5))],
        "document": export_v2.draw_document(commitment=document, secret=SECRET, public_value=PUBLIC_VALUE,
                                            seed=seed, drawn=outcome.drawn, teams=outcome.teams,
                                            unstaffed=outcome.unstaffed, redraws=redraws, public=public),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(build(), ensure_ascii=False, indent=1) + "\n")
