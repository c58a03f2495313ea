"""Policy evaluation throughput: the supervision_class pack through the engine against a hand-written if/else.

    .venv/bin/python bench/policies.py [--enterprises 1000000] [--chunk 50000] [--sample 20000]

1. Fact sets: N demo enterprises (``core.demo.generator``, seeded) give credit_tier (unpublished or
   empty → "unrated"), key_discharger and emergency_risk (empty → "none"). The registry holds no
   penalty, complaint or case history yet, so penalties_12m, supervised_case and
   verified_complaints_12m are drawn from a seeded ``random.Random`` (mostly 0, a few 1–5); the
   output says so under ``synthetic_facts``.
2. The facts are built chunk by chunk (memory stays flat); on every chunk the if/else and
   ``CompiledPolicy.evaluate(facts)`` (signature reuse on) are timed over the same list of dicts,
   building the chunk being outside both timers. Every engine output is compared with the if/else
   output; one difference aborts the run with a message. ``ratio_vs_if_else`` = engine_s / if_else_s
   (target ≤ 5).
3. Raw engine throughput with ``reuse=False`` on a sample (one thread), the size of the signature
   cache, activation time (read the pack + parse + compile + register under a fresh name, median
   of 5), peak RSS, and a per-call breakdown of the reuse path (fact check, signature, cache look-up).

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
from datetime import date
from itertools import accumulate, islice
from typing import Any

from _common import emit, log, machine

from core.demo.generator import DEFAULT_SEED, generate_enterprises
from rules import packs
from rules.engine import CompiledPolicy, Engine
from rules.model import parse

KIND = "supervision_class"
TODAY = date(2026, 11, 28)  # fixed so that runs are comparable; the facts used here do not depend on it
FACT_SEED = 20261128
TARGET_RATIO = 5.0
ACTIVATION_RUNS = 5
_FALSE = frozenset({"false", "0", "no", "n", "否"})  # as the importer reads credit_published

# Synthetic history (no source in the registry yet): P(value) for 0..5, heavily skewed to 0.
PENALTY_WEIGHTS = (0.92, 0.045, 0.018, 0.009, 0.005, 0.003)
COMPLAINT_WEIGHTS = (0.86, 0.07, 0.035, 0.018, 0.01, 0.007)
SUPERVISED_SHARE = 0.005
_PENALTY_CW = tuple(accumulate(PENALTY_WEIGHTS))
_COMPLAINT_CW = tuple(accumulate(COMPLAINT_WEIGHTS))
_COUNTS = tuple(range(6))


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------- facts


def fact_sets(count: int) -> Iterator[dict[str, Any]]:
    """One supervision_class fact set per demo enterprise; lazy and seeded."""
    rng = random.Random(FACT_SEED)
    choices = rng.choices
    for row in generate_enterprises(count, seed=DEFAULT_SEED, today=TODAY):
        tier = row["credit_tier"].strip().lower()
        if not tier or row["credit_published"].strip().lower() in _FALSE:
            tier = "unrated"
        yield {
            "credit_tier": tier,
            "key_discharger": row["key_discharger"] == "true",
            "emergency_risk": row["emergency_risk"] or "none",
            "penalties_12m": choices(_COUNTS, cum_weights=_PENALTY_CW)[0],
            "supervised_case": rng.random() < SUPERVISED_SHARE,
            "verified_complaints_12m": choices(_COUNTS, cum_weights=_COMPLAINT_CW)[0],
        }


def chunks(facts: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(facts, size)):
        yield chunk


# --------------------------------------------------------------------------- the two evaluators


def if_else(facts: dict[str, Any]) -> str:
    """The supervision_class pack, by hand (first hit; the order among the special rules is immaterial)."""
    if (facts["penalties_12m"] >= 1 or facts["supervised_case"] or facts["credit_tier"] in ("yellow", "red")
            or facts["emergency_risk"] == "major" or facts["verified_complaints_12m"] >= 3):
        return "special"
    if facts["key_discharger"] or facts["emergency_risk"] == "larger":
        return "key"
    return "general"


def _timed(fn: Callable[[dict[str, Any]], Any], chunk: list[dict[str, Any]]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    results = [fn(facts) for facts in chunk]
    return results, time.perf_counter() - started


def _verify(chunk: list[dict[str, Any]], expected: list[str], decisions: list[Any], offset: int) -> None:
    for index, (facts, want, decision) in enumerate(zip(chunk, expected, decisions, strict=True)):
        if decision.outputs != {"class": want}:
            sys.exit(f"MISMATCH at enterprise {offset + index}: facts={facts} if/else={want!r} "
                     f"engine={decision.outputs!r} (applied {decision.applied})")


# --------------------------------------------------------------------------- phases


def activation(engine: Engine) -> dict[str, Any]:
    """Read the pack, parse, compile and register it under a fresh name; median of 5."""
    times = []
    for run in range(ACTIVATION_RUNS):
        started = time.perf_counter()
        content, errors = parse(packs.load(KIND))
        if content is None or errors:
            sys.exit(f"the {KIND} pack does not parse: {errors}")
        engine.load(f"{KIND}_bench_activation{run}_v1", content)
        times.append((time.perf_counter() - started) * 1000)
    return {"activation_ms": round(statistics.median(times), 2),
            "activation_ms_runs": [round(t, 2) for t in times]}


def full_run(compiled: CompiledPolicy, count: int, chunk_size: int, sample_size: int
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Both evaluators over all ``count`` fact sets; returns the figures and the first ``sample_size`` facts."""
    if_else_s = engine_s = 0.0
    classes: Counter[str] = Counter()
    facts_seen: Counter[str] = Counter()
    sample: list[dict[str, Any]] = []
    done = 0
    evaluate = compiled.evaluate
    started = time.perf_counter()
    for number, chunk in enumerate(chunks(fact_sets(count), chunk_size)):
        if len(sample) < sample_size:
            sample.extend(chunk[:sample_size - len(sample)])
        if number % 2 == 0:  # alternate which goes first, so neither always gets the warmer caches
            expected, took_if = _timed(if_else, chunk)
            decisions, took_engine = _timed(evaluate, chunk)
        else:
            decisions, took_engine = _timed(evaluate, chunk)
            expected, took_if = _timed(if_else, chunk)
        if_else_s += took_if
        engine_s += took_engine
        _verify(chunk, expected, decisions, done)
        classes.update(expected)
        for facts in chunk:
            facts_seen["credit_unrated"] += facts["credit_tier"] == "unrated"
            facts_seen["penalised"] += facts["penalties_12m"] >= 1
            facts_seen["supervised_case"] += facts["supervised_case"]
            facts_seen["complaints_ge_3"] += facts["verified_complaints_12m"] >= 3
        done += len(chunk)
        if number % 4 == 3 or done == count:
            log(f"{done:,}/{count:,} enterprises ({time.perf_counter() - started:.0f}s): "
                f"if/else {if_else_s:.2f}s, engine {engine_s:.2f}s, {compiled.distinct_signatures} signatures")
    if done != count:
        sys.exit(f"the generator gave {done} enterprises, not {count}")
    ratio = engine_s / if_else_s if if_else_s else float("inf")
    figures = {
        "enterprises": count,
        "if_else_s": round(if_else_s, 4),
        "engine_s": round(engine_s, 3),
        "ratio_vs_if_else": round(ratio, 2),
        "ratio_target": TARGET_RATIO,
        "ratio_meets_target": ratio <= TARGET_RATIO,
        "outputs_equal": True,  # every one was compared (the run aborts otherwise)
        "if_else_us_per_decision": round(if_else_s / count * 1e6, 3),
        "engine_reuse_us_per_decision": round(engine_s / count * 1e6, 3),
        "distinct_signatures": compiled.distinct_signatures,
        "class_counts": dict(sorted(classes.items())),
        "fact_counts": dict(facts_seen),
        "full_run_wall_s": round(time.perf_counter() - started, 1),
    }
    return figures, sample


def raw_engine(compiled: CompiledPolicy, sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Every fact set through durable_rules (reuse=False), one thread."""
    expected = [if_else(facts) for facts in sample]
    decisions, took = _timed(lambda facts: compiled.evaluate(facts, reuse=False), sample)
    _verify(sample, expected, decisions, 0)
    return {"raw_sample": len(sample), "raw_engine_s": round(took, 3),
            "engine_decisions_per_s": round(len(sample) / took)}


def breakdown(compiled: CompiledPolicy, sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-call µs of the pieces of ``evaluate(facts)`` with reuse on (median of 3 passes over the sample)."""
    parts: dict[str, Callable[[], Any]] = {
        "if_else": lambda: [if_else(facts) for facts in sample],
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


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="fact sets built and timed at a time")
    parser.add_argument("--sample", type=int, default=20_000, help="fact sets for the reuse=False throughput")
    args = parser.parse_args()
    if args.enterprises < 1 or args.chunk < 1 or args.sample < 1:
        parser.error("--enterprises, --chunk and --sample must be positive")

    figures: dict[str, Any] = {"benchmark": "policies", **machine(), "policy": KIND}
    figures["synthetic_facts"] = {
        "fields": ["penalties_12m", "supervised_case", "verified_complaints_12m"],
        "why": "the registry has no penalty, case or complaint history yet",
        "how": f"random.Random({FACT_SEED}); independent of the enterprise",
        "penalties_12m_p_0_to_5": list(PENALTY_WEIGHTS),
        "verified_complaints_12m_p_0_to_5": list(COMPLAINT_WEIGHTS),
        "supervised_case_p_true": SUPERVISED_SHARE,
    }
    figures["facts_from_generator"] = {
        "credit_tier": "credit_tier if published, else unrated (empty tier → unrated)",
        "key_discharger": "key_discharger", "emergency_risk": "emergency_risk (empty → none)",
        "generator_seed": DEFAULT_SEED, "today": TODAY.isoformat()}

    started = time.perf_counter()
    engine = Engine()
    figures["engine_init_ms"] = round((time.perf_counter() - started) * 1000, 2)
    content, errors = parse(packs.load(KIND))
    if content is None or errors:
        sys.exit(f"the {KIND} pack does not parse: {errors}")
    compiled = engine.load(f"{KIND}_bench_v1", content)
    figures.update(activation(engine))
    log(f"activation {figures['activation_ms']} ms (median of {ACTIVATION_RUNS})")

    log(f"full run over {args.enterprises:,} enterprises, chunks of {args.chunk:,}")
    run_figures, sample = full_run(compiled, args.enterprises, args.chunk, args.sample)
    figures.update(run_figures)
    log(f"engine_s {figures['engine_s']} / if_else_s {figures['if_else_s']} = {figures['ratio_vs_if_else']} "
        f"(target ≤ {TARGET_RATIO})")

    log(f"raw engine (reuse=False) on {len(sample):,} fact sets")
    figures.update(raw_engine(compiled, sample))
    figures["raw_engine_vs_if_else"] = round(
        1e6 / figures["engine_decisions_per_s"] / figures["if_else_us_per_decision"], 1)
    figures.update(breakdown(compiled, sample))
    figures["peak_rss_mb"] = round(_rss_peak_mb(), 1)
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
