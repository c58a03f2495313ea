"""Policy evaluation throughput: every default pack through the engine against a hand-written if/else.

    .venv/bin/python bench/policies.py [--enterprises 1000000] [--violations N] [--chunk 50000]
                                       [--sample 20000]

1. Packs: the six default packs (``rules.packs.PACKS``), each parsed and registered once under a
   bench name. The hand-written if/else of each is in bench/policies_reference.py (first hit by
   priority, outputs as constants, nothing derived from the JSON).
2. Enterprise fact sets: N demo enterprises (``core.demo.generator``, seeded), each parsed as the
   importer does (``enterprise_from_row``), stored-document shape (``enterprise_document``) and
   turned into facts by ``core.policies.facts.enterprise_facts`` on a fixed day. The registry holds no
   event history here, so the history that function reads (penalties, cases, complaints,
   emergencies, exceedances, crime record, supervised case) and the alert level and measure in
   force that a caller supplies are drawn from a seeded ``random.Random`` (counts mostly 0); the
   output says so under ``synthetic_facts``. supervision_class is chained in as the real system
   does (rules/population.py): the engine's supervision_class decision becomes the fact that
   sampling_ratio and electricity_triggers read.
3. Violation fact sets: penalty_discretion decides on violations, not enterprises, so it runs over
   its own ``--violations`` (default: as many as enterprises) synthetic, seeded fact sets
   (violation_type, discretion_score as the sum of five factor levels 1–5, repeat_offence,
   corrected, caused_harm).
4. Facts are built chunk by chunk (memory stays flat; building is outside every timer). On every
   chunk, for each pack, the if/else and ``CompiledPolicy.evaluate(facts)`` (signature reuse on)
   are timed over the same list of dicts, which goes first alternating chunk by chunk. Every
   engine output is compared with the if/else output; one difference aborts the run with a
   message. ``ratio_vs_if_else`` = engine_s / if_else_s per pack, and sum of engine_s / sum of
   if_else_s overall (target ≤ 5).
5. Per pack: raw engine throughput with ``reuse=False`` on a sample (one thread; checked against
   the if/else too), the number of distinct signatures, activation (read the pack + parse +
   compile + register under a fresh name, median of 5), a per-call breakdown of the reuse path
   (fact check, signature); then peak RSS of the process.

Progress goes to stderr; the last line of stdout is one JSON object with every figure. Nothing here
asserts a time: the target is printed next to the figure.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate, islice
from typing import Any

from _common import emit, log, machine
from policies_reference import IF_ELSE

from core.demo.generator import DEFAULT_SEED, generate_enterprises
from core.policies.facts import enterprise_facts
from core.registry.repository import enterprise_document
from core.registry.rows import RowError, enterprise_from_row
from rules import packs
from rules.engine import CompiledPolicy, Decision, Engine
from rules.model import parse
from rules.vocabulary import VIOLATION_TYPES

TODAY = date(2026, 11, 28)  # fixed so that runs are comparable (permit, guarantee and positive-list validity)
FACT_SEED = 20261128
VIOLATION_SEED = FACT_SEED + 1
TARGET_RATIO = 5.0
ACTIVATION_RUNS = 5
CLASS_POLICY = "supervision_class"
VIOLATION_POLICY = "penalty_discretion"
CHAINED = ("sampling_ratio", "electricity_triggers")  # read the supervision_class decision

# Synthetic history (no events in this benchmark): P(value) for 0..5, heavily skewed to 0.
PENALTY_WEIGHTS = (0.92, 0.045, 0.018, 0.009, 0.005, 0.003)  # penalties_12m
EARLIER_PENALTY_WEIGHTS = (0.95, 0.03, 0.012, 0.005, 0.002, 0.001)  # penalties_24m - penalties_12m
OPEN_CASE_WEIGHTS = (0.97, 0.02, 0.006, 0.002, 0.001, 0.001)  # cases_12m - penalties_12m
COMPLAINT_WEIGHTS = (0.86, 0.07, 0.035, 0.018, 0.01, 0.007)  # verified_complaints_12m
EMERGENCY_WEIGHTS = (0.99, 0.007, 0.002, 0.0006, 0.0002, 0.0002)  # emergencies_24m
EXCEEDANCE_WEIGHTS = (0.90, 0.05, 0.025, 0.012, 0.008, 0.005)  # exceedances_12m
SUPERVISED_SHARE = 0.005
CRIME_SHARE = 0.002
ALERT_SHARES = {"none": 0.50, "blue": 0.15, "yellow": 0.15, "orange": 0.12, "red": 0.08}
MEASURE_SHARES = {"none": 0.70, "self_determined": 0.08, "reduce": 0.17, "halt": 0.05}
# Synthetic violations.
REPEAT_SHARE = 0.15
CORRECTED_SHARE = 0.50
HARM_SHARE = 0.30

_COUNTS = tuple(range(6))
_CW = {name: tuple(accumulate(weights)) for name, weights in {
    "penalty": PENALTY_WEIGHTS, "earlier": EARLIER_PENALTY_WEIGHTS, "case": OPEN_CASE_WEIGHTS,
    "complaint": COMPLAINT_WEIGHTS, "emergency": EMERGENCY_WEIGHTS, "exceedance": EXCEEDANCE_WEIGHTS}.items()}
_ALERTS, _ALERT_CW = tuple(ALERT_SHARES), tuple(accumulate(ALERT_SHARES.values()))
_MEASURES, _MEASURE_CW = tuple(MEASURE_SHARES), tuple(accumulate(MEASURE_SHARES.values()))


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------- facts


def _history(rng: random.Random) -> dict[str, Any]:
    """What ``enterprise_facts`` reads from events and from the caller, drawn (counts mostly 0)."""
    choices = rng.choices
    penalties_12m = choices(_COUNTS, cum_weights=_CW["penalty"])[0]
    return {
        "penalties_12m": penalties_12m,
        "penalties_24m": penalties_12m + choices(_COUNTS, cum_weights=_CW["earlier"])[0],
        "cases_12m": penalties_12m + choices(_COUNTS, cum_weights=_CW["case"])[0],
        "supervised_case": rng.random() < SUPERVISED_SHARE,
        "verified_complaints_12m": choices(_COUNTS, cum_weights=_CW["complaint"])[0],
        "emergencies_24m": choices(_COUNTS, cum_weights=_CW["emergency"])[0],
        "exceedances_12m": choices(_COUNTS, cum_weights=_CW["exceedance"])[0],
        "crime_record_36m": rng.random() < CRIME_SHARE,
        "alert_level": choices(_ALERTS, cum_weights=_ALERT_CW)[0],
        "measure_in_force": choices(_MEASURES, cum_weights=_MEASURE_CW)[0],
    }


def enterprise_fact_sets(count: int) -> Iterator[dict[str, Any]]:
    """All vocabulary facts of each demo enterprise, as ``enterprise_facts`` builds them; lazy and seeded."""
    rng = random.Random(FACT_SEED)
    for number, row in enumerate(generate_enterprises(count, seed=DEFAULT_SEED, today=TODAY)):
        try:
            record = enterprise_from_row(row)
        except RowError as exc:
            sys.exit(f"demo enterprise {number} does not import: {[e.message for e in exc.errors]}")
        yield enterprise_facts(enterprise_document(record, content_hash=""), day=TODAY, history=_history(rng))


def violation_fact_sets(count: int) -> Iterator[dict[str, Any]]:
    """Facts of one violation each (penalty_discretion); lazy and seeded."""
    rng = random.Random(VIOLATION_SEED)
    randint, rand = rng.randint, rng.random
    for _ in range(count):
        yield {
            "violation_type": VIOLATION_TYPES[rng.randrange(len(VIOLATION_TYPES))],
            "discretion_score": randint(1, 5) + randint(1, 5) + randint(1, 5) + randint(1, 5) + randint(1, 5),
            "repeat_offence": rand() < REPEAT_SHARE,
            "corrected": rand() < CORRECTED_SHARE,
            "caused_harm": rand() < HARM_SHARE,
        }


def chunks(facts: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(facts, size)):
        yield chunk


# --------------------------------------------------------------------------- timing and checking


@dataclass
class PackRun:
    kind: str
    compiled: CompiledPolicy
    if_else: Callable[[dict[str, Any]], dict[str, Any]]
    if_else_s: float = 0.0
    engine_s: float = 0.0
    decisions: int = 0
    applied: Counter[str] = field(default_factory=Counter)


def _timed(fn: Callable[[dict[str, Any]], Any], chunk: list[dict[str, Any]]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    results = [fn(facts) for facts in chunk]
    return results, time.perf_counter() - started


def _verify(kind: str, chunk: list[dict[str, Any]], expected: list[dict[str, Any]], decisions: list[Decision],
            offset: int) -> None:
    for index, (facts, want, decision) in enumerate(zip(chunk, expected, decisions, strict=True)):
        if decision.outputs != want:
            sys.exit(f"MISMATCH in {kind} at fact set {offset + index}: facts={facts} if/else={want!r} "
                     f"engine={decision.outputs!r} (applied {decision.applied})")


def _run_chunk(run: PackRun, chunk: list[dict[str, Any]], engine_first: bool, offset: int) -> list[Decision]:
    """Both evaluators over one chunk (the order given), checked; returns the engine decisions."""
    evaluate = run.compiled.evaluate
    if engine_first:
        decisions, took_engine = _timed(evaluate, chunk)
        expected, took_if = _timed(run.if_else, chunk)
    else:
        expected, took_if = _timed(run.if_else, chunk)
        decisions, took_engine = _timed(evaluate, chunk)
    run.if_else_s += took_if
    run.engine_s += took_engine
    run.decisions += len(chunk)
    _verify(run.kind, chunk, expected, decisions, offset)
    run.applied.update(d.applied[0] if d.applied else "(no rule)" for d in decisions)
    return decisions


# --------------------------------------------------------------------------- phases


def _parsed(kind: str) -> Any:
    content, errors = parse(packs.load(kind))
    if content is None or errors:
        sys.exit(f"the {kind} pack does not parse: {errors}")
    return content


def activation(engine: Engine, kind: str) -> dict[str, Any]:
    """Read the pack, parse, compile and register it under a fresh name; median of 5."""
    times = []
    for run in range(ACTIVATION_RUNS):
        started = time.perf_counter()
        engine.load(f"{kind}_bench_activation{run}_v1", _parsed(kind))
        times.append((time.perf_counter() - started) * 1000)
    return {"activation_ms": round(statistics.median(times), 2),
            "activation_ms_runs": [round(t, 2) for t in times]}


def enterprise_run(runs: dict[str, PackRun], count: int, chunk_size: int, sample_size: int
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every enterprise pack over all ``count`` fact sets; returns fact counts and the first ``sample_size`` facts."""
    kinds = [CLASS_POLICY, *(kind for kind in runs if kind not in (CLASS_POLICY, VIOLATION_POLICY))]
    facts_seen: Counter[str] = Counter()
    sample: list[dict[str, Any]] = []
    done = 0
    started = time.perf_counter()
    for number, chunk in enumerate(chunks(enterprise_fact_sets(count), chunk_size)):
        engine_first = number % 2 == 1  # alternate, so neither always gets the warmer caches
        for kind in kinds:
            decisions = _run_chunk(runs[kind], chunk, engine_first, done)
            if kind == CLASS_POLICY:  # chained, as rules/population.py does (outside every timer)
                for facts, decision in zip(chunk, decisions, strict=True):
                    facts["supervision_class"] = decision.outputs["class"]
        if len(sample) < sample_size:
            sample.extend(chunk[:sample_size - len(sample)])
        for facts in chunk:
            facts_seen["credit_unrated"] += facts["credit_tier"] == "unrated"
            facts_seen["penalised_12m"] += facts["penalties_12m"] >= 1
            facts_seen["supervised_case"] += facts["supervised_case"]
            facts_seen["complaints_ge_3"] += facts["verified_complaints_12m"] >= 3
            facts_seen["on_positive_list"] += facts["on_positive_list"]
            facts_seen["guarantee_valid"] += facts["guarantee_valid"]
            facts_seen["alert_in_force"] += facts["alert_level"] != "none"
        done += len(chunk)
        if number % 4 == 3 or done == count:
            engine_s = sum(runs[k].engine_s for k in kinds)
            if_else_s = sum(runs[k].if_else_s for k in kinds)
            log(f"{done:,}/{count:,} enterprises ({time.perf_counter() - started:.0f}s): "
                f"if/else {if_else_s:.2f}s, engine {engine_s:.2f}s over {len(kinds)} packs")
    if done != count:
        sys.exit(f"the generator gave {done} enterprises, not {count}")
    return {"fact_counts": dict(facts_seen),
            "enterprise_run_wall_s": round(time.perf_counter() - started, 1)}, sample


def violation_run(run: PackRun, count: int, chunk_size: int, sample_size: int
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    facts_seen: Counter[str] = Counter()
    sample: list[dict[str, Any]] = []
    done = 0
    started = time.perf_counter()
    for number, chunk in enumerate(chunks(violation_fact_sets(count), chunk_size)):
        _run_chunk(run, chunk, number % 2 == 1, done)
        if len(sample) < sample_size:
            sample.extend(chunk[:sample_size - len(sample)])
        for facts in chunk:
            facts_seen["repeat_offence"] += facts["repeat_offence"]
            facts_seen["score_le_8"] += facts["discretion_score"] <= 8
            facts_seen["score_ge_22"] += facts["discretion_score"] >= 22
        done += len(chunk)
        if number % 4 == 3 or done == count:
            log(f"{done:,}/{count:,} violations ({time.perf_counter() - started:.0f}s): "
                f"if/else {run.if_else_s:.2f}s, engine {run.engine_s:.2f}s")
    return {"violation_fact_counts": dict(facts_seen),
            "violation_run_wall_s": round(time.perf_counter() - started, 1)}, sample


def raw_engine(run: PackRun, sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Every fact set of the sample through durable_rules (reuse=False), one thread; checked."""
    expected = [run.if_else(facts) for facts in sample]
    decisions, took = _timed(lambda facts: run.compiled.evaluate(facts, reuse=False), sample)
    _verify(run.kind, sample, expected, decisions, 0)
    return {"raw_sample": len(sample), "raw_engine_s": round(took, 3),
            "engine_decisions_per_s": round(len(sample) / took)}


def breakdown(run: PackRun, sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-call µs of the pieces of ``evaluate(facts)`` with reuse on (median of 3 passes over the sample)."""
    compiled = run.compiled
    parts: dict[str, Callable[[], Any]] = {
        "if_else": lambda: [run.if_else(facts) for facts in sample],
        "evaluate_reuse": lambda: [compiled.evaluate(facts) for facts in sample],
        "check_facts": lambda: [compiled.check(facts) for facts in sample],
        "signature": lambda: [compiled.signature(facts) for facts in sample],
    }
    result = {}
    for name, fn in parts.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        result[name] = round(statistics.median(times) / len(sample) * 1e6, 3)
    return {"breakdown_us_per_call": result}


def pack_figures(run: PackRun) -> dict[str, Any]:
    ratio = run.engine_s / run.if_else_s if run.if_else_s else float("inf")
    rules = [rule.id for rule in run.compiled.content.rules]
    return {
        "decisions": run.decisions,
        "if_else_s": round(run.if_else_s, 4),
        "engine_s": round(run.engine_s, 3),
        "ratio_vs_if_else": round(ratio, 2),
        "ratio_meets_target": ratio <= TARGET_RATIO,
        "if_else_us_per_decision": round(run.if_else_s / run.decisions * 1e6, 3),
        "engine_reuse_us_per_decision": round(run.engine_s / run.decisions * 1e6, 3),
        "distinct_signatures": run.compiled.distinct_signatures,
        "facts_used": len(run.compiled.facts),
        "rules": len(rules),
        "applied_counts": {rule_id: run.applied[rule_id] for rule_id in rules if run.applied[rule_id]},
        "rules_never_applied": [rule_id for rule_id in rules if not run.applied[rule_id]],
        "content_hash": run.compiled.content.content_hash()[:12],
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--violations", type=int, default=None,
                        help="violation fact sets for penalty_discretion (default: as many as --enterprises)")
    parser.add_argument("--chunk", type=int, default=50_000, help="fact sets built and timed at a time")
    parser.add_argument("--sample", type=int, default=20_000, help="fact sets per pack for the reuse=False throughput")
    args = parser.parse_args()
    violations = args.enterprises if args.violations is None else args.violations
    if min(args.enterprises, violations, args.chunk, args.sample) < 1:
        parser.error("--enterprises, --violations, --chunk and --sample must be positive")
    missing = set(packs.PACKS) - set(IF_ELSE)
    if missing:
        sys.exit(f"no hand-written if/else for {sorted(missing)} (bench/policies_reference.py)")

    figures: dict[str, Any] = {"benchmark": "policies", **machine(), "policies": list(packs.PACKS),
                               "enterprises": args.enterprises, "violations": violations}
    figures["synthetic_facts"] = {
        "enterprise_fields": ["penalties_12m", "penalties_24m", "cases_12m", "supervised_case",
                              "verified_complaints_12m", "emergencies_24m", "exceedances_12m", "crime_record_36m",
                              "alert_level", "measure_in_force"],
        "why": "the registry has no event history here (penalties, cases, complaints, emergencies, exceedances, "
               "crime record, supervised case); alert_level and measure_in_force are supplied by callers",
        "how": f"random.Random({FACT_SEED}), one draw per enterprise, independent of the enterprise; passed as "
               "the history of core.policies.facts.enterprise_facts",
        "penalties_12m_p_0_to_5": list(PENALTY_WEIGHTS),
        "penalties_24m": "penalties_12m + extra, extra_p_0_to_5 " + str(list(EARLIER_PENALTY_WEIGHTS)),
        "cases_12m": "penalties_12m + extra, extra_p_0_to_5 " + str(list(OPEN_CASE_WEIGHTS)),
        "verified_complaints_12m_p_0_to_5": list(COMPLAINT_WEIGHTS),
        "emergencies_24m_p_0_to_5": list(EMERGENCY_WEIGHTS),
        "exceedances_12m_p_0_to_5": list(EXCEEDANCE_WEIGHTS),
        "supervised_case_p_true": SUPERVISED_SHARE,
        "crime_record_36m_p_true": CRIME_SHARE,
        "alert_level_p": ALERT_SHARES,
        "alert_level_note": "drawn per enterprise so that every alert branch runs (in service one level "
                            "applies to a whole area on a day)",
        "measure_in_force_p": MEASURE_SHARES,
        "supervision_class": "not drawn: the engine's supervision_class decision for the same facts, chained "
                             "into sampling_ratio and electricity_triggers as rules/population.py does",
        "penalty_discretion": {
            "fact_sets": violations, "how": f"random.Random({VIOLATION_SEED}), synthetic violations, not enterprises",
            "violation_type": "uniform over " + ", ".join(VIOLATION_TYPES),
            "discretion_score": "sum of five factor levels, each uniform 1-5 (5-25)",
            "repeat_offence_p_true": REPEAT_SHARE, "corrected_p_true": CORRECTED_SHARE,
            "caused_harm_p_true": HARM_SHARE},
    }
    figures["facts_from_generator"] = {
        "how": "core.demo.generator rows → core.registry.rows.enterprise_from_row → "
               "core.registry.repository.enterprise_document → core.policies.facts.enterprise_facts(day=today)",
        "generator_seed": DEFAULT_SEED, "today": TODAY.isoformat()}

    started = time.perf_counter()
    engine = Engine()
    figures["engine_init_ms"] = round((time.perf_counter() - started) * 1000, 2)
    runs = {kind: PackRun(kind, engine.load(f"{kind}_bench_v1", _parsed(kind)), IF_ELSE[kind])
            for kind in packs.PACKS}
    activations = {}
    for kind in packs.PACKS:
        activations[kind] = activation(engine, kind)
        log(f"{kind}: activation {activations[kind]['activation_ms']} ms (median of {ACTIVATION_RUNS})")

    log(f"enterprise packs over {args.enterprises:,} enterprises, chunks of {args.chunk:,}")
    run_figures, sample = enterprise_run(runs, args.enterprises, args.chunk, args.sample)
    figures.update(run_figures)
    log(f"{VIOLATION_POLICY} over {violations:,} violations")
    run_figures, violation_sample = violation_run(runs[VIOLATION_POLICY], violations, args.chunk, args.sample)
    figures.update(run_figures)

    per_pack: dict[str, dict[str, Any]] = {}
    raw_decisions = 0
    raw_s = 0.0
    for kind, run in runs.items():
        pack_sample = violation_sample if kind == VIOLATION_POLICY else sample
        log(f"{kind}: raw engine (reuse=False) on {len(pack_sample):,} fact sets, breakdown")
        result = pack_figures(run)
        result.update(activations[kind])
        result.update(raw_engine(run, pack_sample))
        result["raw_engine_vs_if_else"] = round(
            1e6 / result["engine_decisions_per_s"] / result["if_else_us_per_decision"], 1)
        result.update(breakdown(run, pack_sample))
        raw_decisions += result["raw_sample"]
        raw_s += result["raw_engine_s"]
        per_pack[kind] = result
        log(f"{kind}: engine_s {result['engine_s']} / if_else_s {result['if_else_s']} = "
            f"{result['ratio_vs_if_else']} (target ≤ {TARGET_RATIO}), {result['distinct_signatures']} signatures, "
            f"raw {result['engine_decisions_per_s']:,}/s")

    engine_s = sum(run.engine_s for run in runs.values())
    if_else_s = sum(run.if_else_s for run in runs.values())
    ratio = engine_s / if_else_s if if_else_s else float("inf")
    figures.update({
        "decisions": sum(run.decisions for run in runs.values()),
        "if_else_s": round(if_else_s, 3),
        "engine_s": round(engine_s, 3),
        "ratio_vs_if_else": round(ratio, 2),
        "ratio_target": TARGET_RATIO,
        "ratio_meets_target": ratio <= TARGET_RATIO,
        "packs_missing_target": [kind for kind, result in per_pack.items() if not result["ratio_meets_target"]],
        "outputs_equal": True,  # every one was compared (the run aborts otherwise)
        "engine_decisions_per_s": round(raw_decisions / raw_s),  # raw (reuse=False), all packs' samples
        "activation_ms_total": round(sum(a["activation_ms"] for a in activations.values()), 2),
        "distinct_signatures_total": sum(run.compiled.distinct_signatures for run in runs.values()),
        "packs": per_pack,
        "peak_rss_mb": round(_rss_peak_mb(), 1),
        "full_run_wall_s": round(time.perf_counter() - started, 1),
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    })
    log(f"overall: engine_s {figures['engine_s']} / if_else_s {figures['if_else_s']} = "
        f"{figures['ratio_vs_if_else']} (target ≤ {TARGET_RATIO})")
    emit(figures)


if __name__ == "__main__":
    main()
