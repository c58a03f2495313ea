"""A long property-based fuzz of the GraphQL schema: the test in tests/api/test_fuzz.py, run for minutes.

    .venv/bin/python bench/fuzz.py [--minutes 5] [--seed 1] [--count 40] [--modes positive,negative]

One fresh embedded SecantusDB child process (or MONGODB_URI) and one database; the app in-process
(httpx.ASGITransport, lifespan run); demo data (60 enterprises), a drawn Xi'an plan and an alert, seeded
through the API as in the test. Then batches until the time is up: batch i generates ``--count`` cases per
role (supervisor1, inspector1, author1, each on the root fields its role may call) in one mode (the modes
take turns) from seed ``--seed`` + 10·i, and sends them one at a time. The database is not reset between
batches: mutations pile up, as they would on a real server.

A failing answer is a 5xx (or an exception out of the app), a body that is not JSON, an error without
``extensions.code``, with ``INTERNAL_ERROR``, or the masked "Unexpected error.". Failures are grouped by cause
(see tests/api/fuzz_harness.py); each group's shortest case goes to stderr, with the query, variables, role
and response. The last line of stdout is one JSON object with the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from _common import ROOT, database_name, database_server, emit, log, machine, temp_dir

for extra in (ROOT / "tests", ROOT / "tests" / "api"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


async def fuzz(uri: str, minutes: float, base_seed: int, count: int, modes: list[str]) -> dict[str, Any]:
    from fuzz_harness import Tally, app_client, describe, run_batches, seed

    from api.app import prepare
    from api.graphql.schema import build_schema
    from core.config import Settings
    from core.db import Database

    settings = Settings(secret_key="bench-secret-" + "x" * 32, login_delay_max_seconds=0.01, log_json=False,
                        password_hash_profile="fast")
    name = database_name("fuzz")
    database = Database(uri, name)
    await prepare(database)
    schema = build_schema(settings)._schema
    tally = Tally()
    started = time.monotonic()
    try:
        async with app_client(settings, database) as http:
            known, tokens = await seed(http, database, settings)
            log(f"seeded: {len(known.strings)} known strings, {len(known.global_ids)} global ids")
            sent = await run_batches(http, schema, known, tokens, tally, modes=modes, count=count, seed=base_seed,
                                     batches=None, deadline=started + minutes * 60, progress=log)
    finally:
        await database.client.drop_database(name)
        await database.client.close()
    for key, failure in tally.failures.items():
        print(f"{describe(failure)}\nseen {tally.per_cause[key]} times\n", file=sys.stderr)
    return {
        "minutes": minutes, "seed": base_seed, "count_per_role": count, "modes": modes, "cases_sent": sent,
        "requests": tally.requests, "requests_per_s": round(tally.requests / (time.monotonic() - started), 1),
        "by_status": tally.by_status, "by_code": dict(sorted(tally.by_code.items())),
        "failing_answers": tally.failure_count, "distinct_failures": len(tally.failures),
        "failures": dict(sorted(tally.per_cause.items())),
        "root_fields_called": len(tally.called), "root_fields_answered_without_error": len(tally.answered),
        "root_fields_never_answered_without_error": sorted(tally.called - tally.answered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to generate and send (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first batch (default 1)")
    parser.add_argument("--count", type=int, default=40, help="cases per role per batch (default 40)")
    parser.add_argument("--modes", default="positive,negative", help="modes, in turn (default positive,negative)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"positive", "negative"}:
        parser.error("--modes takes positive and/or negative")
    if args.minutes <= 0 or args.count <= 0:
        parser.error("--minutes and --count must be positive")
    figures: dict[str, Any] = {"bench": "fuzz", **machine()}
    with temp_dir("ecoinspect-fuzz-") as workdir, database_server(workdir) as server:
        figures.update(asyncio.run(fuzz(server.uri, args.minutes, args.seed, args.count, modes)))
    emit(figures)


if __name__ == "__main__":
    main()
