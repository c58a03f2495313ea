#!/usr/bin/env python3
"""Reference verifier of draw protocol v2, written from docs/draw-spec.md with the standard library only.

Usage: python3 tools/verify_draw.py draw.json   (exit status 0: the draw matches its document; 1: it does not)

It shares no code with the service: the canonical JSON, the hashes, the quotas, the inclusion probabilities,
the systematic πps selection, the team assignment and the replacements are re-implemented here from the
specification, so that it and `ecoinspect verify-draw` check each other.
"""

import hashlib
import json
import math
import re
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

REASONS = {"visit_cap", "recently_inspected"}
ALGORITHMS = {"seed": "seed-sha256-v2", "objects": "pips-systematic-sha256-v2",
              "inspectors": "least-loaded-sha256-v2"}


def sha(data):
    return hashlib.sha256(data).digest()


def canonical(value):
    """§2: sorted keys, no whitespace, UTF-8, no floats."""
    def walk(v):
        if isinstance(v, float):
            raise ValueError("a floating-point number has no canonical form")
        for item in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()):
            walk(item)
    walk(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def units(weight):
    """§4: a weight in millionths; exactly six fractional digits."""
    if not re.fullmatch(r"(0|[1-9][0-9]*)\.[0-9]{6}", weight) or int(weight.replace(".", "")) <= 0:
        raise ValueError(f"bad weight {weight!r}")
    return int(weight.replace(".", ""))


def quota(size, ratio, minimum):
    """§5: min(size, max(minimum, ceil(ratio × size))), the ratio an exact decimal."""
    if not re.fullmatch(r"0|1|0\.[0-9]*[1-9]|1\.0", ratio):
        raise ValueError(f"bad ratio {ratio!r}")
    return min(size, max(minimum, math.ceil(Fraction(ratio) * size)))


def design(weights, q):
    """§5: (threshold, free, rest): take-all members while (q − taken)·w ≥ Σ w of the rest, heaviest first."""
    rest, taken, threshold = sum(weights), 0, None
    for w in sorted(set(weights), reverse=True):
        count = weights.count(w)
        if q - taken > 0 and (q - taken) * w >= rest:
            taken, rest, threshold = taken + count, rest - w * count, w
        else:
            break
    return threshold, q - taken, rest


def pi(d, w):
    threshold, free, rest = d
    if threshold is not None and w >= threshold:
        return Fraction(1)
    return Fraction(free * w, rest) if rest else Fraction(0)


def select(members, q, seed, number, stratum):
    """§6: systematic πps along the members ordered by SHA-256(seed ‖ n ‖ code), then the code."""
    if q == 0:
        return []
    d = design(list(members.values()), q)
    threshold, free, rest = d
    scale = rest or 1
    prefix = seed + number.to_bytes(4, "big")
    order = sorted(members, key=lambda c: (sha(prefix + c.encode()), c.encode()))
    u = int.from_bytes(sha(prefix + b"start:" + stratum.encode()), "big")
    point, reached, drawn = (u * scale) >> 256, 0, []
    for code in order:
        w = members[code]
        reached += scale if threshold is not None and w >= threshold else free * w
        if point < reached:
            drawn.append(code)
            point += scale
    return sorted(drawn)


def assign(tasks, pool, seed, number, day, size, held, exclude=()):
    """§7: least loaded, then SHA-256 tie, then staff id; coded reasons."""
    eligible = [i for i in pool if i["on_post"] and i["certificate_expires"] >= day]
    load = {i["staff_id"]: i.get("open_load", 0) + held.get(i["staff_id"], 0) for i in eligible}
    tie = {s: sha(seed + number.to_bytes(4, "big") + b"inspector:" + s.encode()) for s in load}
    teams, unstaffed = {}, {}
    for code in sorted(tasks):
        local = [i for i in eligible if set(i["jurisdictions"]) & set(tasks[code]) and i["staff_id"] not in exclude]
        free = [i for i in local if code not in i.get("conflicts", [])]
        if len(free) < size:
            unstaffed[code] = ("NO_LOCAL_INSPECTOR" if not local else "TOO_FEW_LOCAL" if len(local) < size
                               else "RECUSALS")
            continue
        free.sort(key=lambda i: (code in i.get("visited", []), load[i["staff_id"]], tie[i["staff_id"]],
                                 i["staff_id"]))
        teams[code] = [i["staff_id"] for i in free[:size]]
        for s in teams[code]:
            load[s] += 1
    return teams, unstaffed


def weight_of(tier, positive, visited, p):
    value = Decimal(p["tier_weights"][tier])
    value *= Decimal(p["positive_list_factor"]) if positive else 1
    value *= Decimal(p["cycle_boost"]) if not visited else 1
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def verify(doc):
    """Yields (check, ok, detail)."""
    c = doc["commitment"]
    digest = hashlib.sha256(canonical(c)).hexdigest()
    yield "commitment", digest == doc["commitment_hash"] == doc["public"]["plan"]["commitment"], digest
    yield "algorithms", c["format"] == "ecoinspect-commitment/2" and c["algorithms"] == ALGORITHMS, c["algorithms"]
    yield "secret", hashlib.sha256(bytes.fromhex(doc["secret"])).hexdigest() == c["secret_commitment"], ""
    pattern = c["announcement"]["pattern"]
    value = doc["public_value"]
    yield "public value", bool(value) and re.fullmatch(pattern, value) is not None, f"{value!r} ~ {pattern}"
    col = {name: i for i, name in enumerate(c["population"]["columns"])}
    rows = [{name: r[i] for name, i in col.items()} for r in c["population"]["rows"]]
    codes = [r["credit_code"] for r in rows]
    yield "population order", codes == sorted(codes) and len(set(codes)) == len(codes), f"{len(rows)} members"
    excl = [dict(zip(c["exclusions"]["columns"], e, strict=True)) for e in c["exclusions"]["rows"]]
    ex_codes = [e["credit_code"] for e in excl]
    yield "exclusions", (ex_codes == sorted(set(ex_codes)) and all(e["reason"] in REASONS for e in excl)
                         and not set(ex_codes) & set(codes)), f"{len(excl)} excluded"
    if c["plan"]["ratio_source"] == "plan":
        bad = [r["credit_code"] for r in rows if weight_of(r["tier"], r["positive_list"], r["visited"],
                                                           c["plan"]["parameters"]) != r["weight"]]
        yield "weights", not bad, f"differing: {bad[:3]}"
    groups = {}
    for r in rows:
        groups.setdefault(r["stratum"], {})[r["credit_code"]] = units(r["weight"])
    strata_ok, pi_bad = set(groups) == set(c["strata"]), []
    for label, members in groups.items():
        s = c["strata"].get(label, {})
        q = quota(len(members), s.get("ratio", "0"), s.get("minimum", 0))
        strata_ok = strata_ok and s.get("size") == len(members) and s.get("quota") == q
        d = design(list(members.values()), q)
        pis = {code: pi(d, w) for code, w in members.items()}
        strata_ok = strata_ok and sum(pis.values()) == q
        pi_bad += [r["credit_code"] for r in rows if r["stratum"] == label
                   and r["pi"] != f"{pis[r['credit_code']].numerator}/{pis[r['credit_code']].denominator}"]
    yield "quotas", strata_ok, {k: v["quota"] for k, v in c["strata"].items()}
    yield "inclusion probabilities", not pi_bad, f"differing: {pi_bad[:3]}"
    seed = sha(b"ecoinspect-seed-v2" + bytes.fromhex(digest) + bytes.fromhex(doc["secret"]) + value.encode())
    yield "seed", seed.hex() == doc["seed"], seed.hex()
    drawn = {label: select(members, c["strata"][label]["quota"], seed, 0, label) for label, members in groups.items()}
    yield "objects", ({k: v for k, v in drawn.items() if v}
                      == {k: sorted(v) for k, v in doc["drawn"].items() if v}), sum(map(len, drawn.values()))
    division = {r["credit_code"]: r["division"] for r in rows}
    stratum_of = {code: label for label, codes in drawn.items() for code in codes}
    paths = {code: c["divisions"][division[code]] for code in stratum_of}
    pool, day, size = c["inspectors"], c["inspection"]["date"], c["inspection"]["team_size"]
    teams, unstaffed = assign(paths, pool, seed, 0, day, size, {})
    yield "inspectors", teams == doc["teams"] and unstaffed == doc["unstaffed"], f"{len(teams)} teams"
    active, removed = {code: teams.get(code, []) for code in stratum_of}, {}
    redraws = sorted(doc.get("redraws", []), key=lambda r: r["number"])
    yield "redraw numbers", [r["number"] for r in redraws] == list(range(1, len(redraws) + 1)), len(redraws)
    for r in redraws:
        n, target, name = r["number"], r["target"], f"redraw {r['number']}"
        if r.get("public_value") is None:
            yield f"{name} pending", r.get("replacement") is None and not r.get("team"), "not completed"
            continue
        v = r["public_value"]
        yield f"{name} public value", re.fullmatch(r["announcement"]["pattern"], v) is not None, v
        rs = sha(b"ecoinspect-redraw-v2" + seed + n.to_bytes(4, "big") + v.encode())
        yield f"{name} seed", rs.hex() == r["seed"], rs.hex()
        if target not in active:
            yield f"{name} target", False, f"{target} has no active task"
            continue
        if r["kind"] == "object":
            label = stratum_of[target]
            rest = {code: w for code, w in groups[label].items() if code not in stratum_of}
            new, team, why = None, [], "NO_REPLACEMENT"
            if rest:
                new = select(rest, 1, rs, n, label)[0]
                held = count_held(active, without=target)
                t, u = assign({new: c["divisions"][division[new]]}, pool, rs, n, day, size, held)
                team, why = t.get(new, []), u.get(new)
                del active[target]
                stratum_of[new], active[new] = label, team
            ok = (new, team, why) == (r.get("replacement"), r["team"], r.get("unstaffed"))
        else:
            team = active[target]
            keep = [s for s in team if s != r["staff_id"]]
            gone = sorted({*removed.get(target, []), r["staff_id"]})
            t, u = assign({target: paths.get(target) or c["divisions"][division[target]]}, pool, rs, n, day,
                          size - len(keep), count_held(active), keep + gone)
            why = u.get(target)
            new_team = keep + t.get(target, []) if why is None else team
            if why is None and r["staff_id"] in team:
                active[target], removed[target] = new_team, gone
            ok = r["staff_id"] in team and (new_team, why) == (r["team"], r.get("unstaffed"))
        yield f"{name} {r['kind']}", ok, f"{target}: {r.get('replacement') or ''} {r['team']}"
    objects = {o["credit_code"]: o for o in doc["public"]["objects"]}
    yield "public objects", set(objects) == set(stratum_of) and all(
        (objects[code]["status"] in ("drawn", "cancelled")) == (code in active) for code in stratum_of), len(objects)


def count_held(active, without=None):
    held = {}
    for code, team in active.items():
        for s in team if code != without else ():
            held[s] = held.get(s, 0) + 1
    return held


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        doc = json.load(handle)
    if doc.get("format") != "ecoinspect-draw/2":
        print(f"FAIL format: {doc.get('format')!r} is not ecoinspect-draw/2")
        return 1
    ok = True
    try:
        for name, passed, detail in verify(doc):
            ok = ok and passed
            print(f"{'OK  ' if passed else 'FAIL'} {name:24} {detail}")
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        print(f"FAIL document: unreadable ({exc!r})")
        return 1
    print("the draw matches its document" if ok else "the draw does NOT match its document")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
