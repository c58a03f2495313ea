"""Running fuzz cases through the app: a seeded dataset, the checks on each answer, deduplicated failures.

Shared by tests/api/test_fuzz.py (bounded, in ``make test``) and bench/fuzz.py (``--minutes N``).
A response fails when its status is 5xx (or the app raised), no answer comes within ``STALL_S``, its body is
not JSON, an error has no ``extensions.code``, an error's code is ``INTERNAL_ERROR``, or an error is the masked
"Unexpected error." (an exception nobody expected, whatever code it was given). Failures are grouped by cause
— the kind, the root field and, when the app logged an exception, the innermost project frame it left from
(else the message with its values blanked) — and each group keeps its shortest reproducing case.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import graphql
import httpx
from asgi_lifespan import LifespanManager
from fuzz_strategies import Case, Known, generate
from hypothesis_graphql import Mode

from api.app import create_app
from api.graphql.permissions import ACCESS
from api.graphql.relay import to_global_id
from core.accounts.models import Role
from core.config import Settings
from core.db import Database
from core.demo.loader import load_demo
from core.demo.users import DEMO_PASSWORD

MODES = {"positive": Mode.POSITIVE, "negative": Mode.NEGATIVE}
# The demo logins the fuzz acts as; each is sent documents on the root fields its role may call, since one
# refused root field refuses the whole operation before any resolver runs.
ROLES = {"supervisor": ("supervisor1", Role.SUPERVISOR), "inspector": ("inspector1", Role.INSPECTOR),
         "author": ("author1", Role.RULE_AUTHOR)}
DEMO_ENTERPRISES = 60  # a handful per jurisdiction, Xi'an inspectors included; loads in a few seconds
HEADERS = {"accept": "application/graphql-response+json", "content-type": "application/json"}
PROJECT = str(Path(__file__).resolve().parents[2])
MASKED = "Unexpected error."
# Generous: a fuzz case answers in milliseconds to a few seconds even on the loaded 2-core machine; only a
# stall (a document or value that makes the app spin) gets near this.
STALL_S = 60.0


@contextlib.asynccontextmanager
async def app_client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; unlike the shared ``client`` fixture a raised exception is caught and reported."""
    app = create_app(settings, database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=120) as http:
            yield http


async def post(http: httpx.AsyncClient, case: Case, token: str | None) -> httpx.Response:
    # httpx's own JSON encoder refuses NaN and lone surrogates; the fuzz sends them (escaped, as Python does).
    body = json.dumps({"query": case.query, "variables": case.variables}, allow_nan=True, ensure_ascii=True)
    headers = dict(HEADERS)
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await http.post("/graphql", content=body.encode("ascii"), headers=headers)


async def login(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _ask(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await post(http, Case(query, variables), token)
    payload = response.json()
    if payload.get("errors"):
        raise RuntimeError(f"seeding failed: {query[:80]} → {payload['errors']}")
    return payload["data"]


async def seed(http: httpx.AsyncClient, database: Database, settings: Settings) -> tuple[Known, dict[str, str]]:
    """Demo data, a drawn Xi'an plan (tasks for inspector1), an alert; the ids every generated string may use."""
    await load_demo(database, settings, enterprises=DEMO_ENTERPRISES)
    tokens = {role: await login(http, username) for role, (username, _) in ROLES.items()}
    boss = tokens["supervisor"]
    year = datetime.now(UTC).year + 1
    plan = await _ask(http, boss, "mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { planId } } }", {
        "i": {"name": "fuzz plan", "jurisdiction": "610100", "matters": ["STJ-WRY-01"],
              "periodStart": f"{year}-01-01", "periodEnd": f"{year}-03-31",
              "ratios": [{"stratum": s, "ratio": 1.0} for s in ("special", "key", "general")]}})
    plan_id = plan["createPlan"]["plan"]["planId"]
    await _ask(http, boss, "mutation($p: String!) { freezePlan(input: {planId: $p}) { plan { planId } } }",
               {"p": plan_id})
    await _ask(http, boss, "mutation($p: String!) { drawPlan(input: {planId: $p, publicValue: \"1 2 3 4 5\"}) { draw { drawId } } }",
               {"p": plan_id})
    now = datetime.now(UTC)
    await _ask(http, boss, "mutation($i: IssueAlertInput!) { issueAlert(input: $i) { alert { alertId } } }", {
        "i": {"level": "orange", "jurisdictions": ["610100"], "startsAt": now.isoformat(),
              "endsAt": (now + timedelta(days=2)).isoformat(), "source": "fuzz"}})
    return await _known(http, tokens), tokens


async def _known(http: httpx.AsyncClient, tokens: dict[str, str]) -> Known:
    boss = tokens["supervisor"]
    data = await _ask(http, boss, "{ enterprises(first: 8) { edges { node { creditCode } } } "
                      "inspectors(first: 4) { edges { node { staffId } } } matters { code } "
                      "plans { planId } alerts { alertId } policies { policyId versions { versionId } } }")
    tasks = (await _ask(http, tokens["inspector"], "{ myTasks(first: 6) { taskId checklist { checklistId } } }"))
    known = Known()
    codes = [e["node"]["creditCode"] for e in data["enterprises"]["edges"]]
    staff = [e["node"]["staffId"] for e in data["inspectors"]["edges"]]
    plans = [p["planId"] for p in data["plans"]]
    task_ids = [t["taskId"] for t in tasks["myTasks"]]
    known.add(*codes, *staff, *plans, *task_ids, "610000", "610100", "610300", "SX-610100-0001")
    known.add(*(m["code"] for m in data["matters"]), *(a["alertId"] for a in data["alerts"]))
    known.add(*(t["checklist"]["checklistId"] for t in tasks["myTasks"] if t["checklist"]))
    for policy in data["policies"][:4]:
        known.add(policy["policyId"], *(v["versionId"] for v in policy["versions"][:2]))
    known.global_ids = [to_global_id("Enterprise", c) for c in codes[:3]] + \
        [to_global_id("Plan", p) for p in plans] + [to_global_id("Task", t) for t in task_ids[:3]] + \
        [to_global_id("Inspector", s) for s in staff[:2]]
    return known


def allowed_fields(role: str) -> list[str]:
    """The root fields (Query and Mutation alike) that ``role`` may call."""
    granted = ROLES[role][1]
    return sorted(name.split(".", 1)[1] for name, roles in ACCESS.items()
                  if name.split(".", 1)[0] in ("Query", "Mutation") and (not roles or granted in roles))


def role_cases(schema: graphql.GraphQLSchema, known: Known, mode: Mode, *, roles: Iterable[str], count: int,
               seed: int) -> list[tuple[str, Case]]:
    """``count`` cases per role (each role its own seed), interleaved so a time limit cuts all roles alike."""
    per_role = [[(role, case) for case in generate(schema, known, mode, fields=allowed_fields(role), count=count,
                                                     seed=seed + n)]
                for n, role in enumerate(roles)]
    return [pair for batch in itertools.zip_longest(*per_role) for pair in batch if pair is not None]


# --------------------------------------------------------------------------- checks


@dataclass
class Failure:
    kind: str
    role: str
    case: Case
    status: int
    response: str
    cause: str  # the logged exception (type, project frame), or "" when the app logged none
    key: str


@dataclass
class Tally:
    requests: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)  # one per cause: the shortest case
    per_cause: dict[str, int] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)  # root fields seen in an answer without errors
    called: set[str] = field(default_factory=set)

    @property
    def failure_count(self) -> int:
        return sum(self.per_cause.values())

    def count(self, status: int, codes: Iterable[str]) -> None:
        self.requests += 1
        self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
        for code in codes:
            self.by_code[code] = self.by_code.get(code, 0) + 1

    def add(self, failure: Failure) -> None:
        self.per_cause[failure.key] = self.per_cause.get(failure.key, 0) + 1
        kept = self.failures.get(failure.key)
        if kept is None or len(failure.case.query) < len(kept.case.query):
            self.failures[failure.key] = failure


def _origin(error: BaseException) -> str:
    """Where an exception left project code: "path:function", the key failures are grouped by."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(PROJECT)
              and "/.venv/" not in f.filename]
    return f"{Path(frames[-1].filename).relative_to(PROJECT)}:{frames[-1].name}" if frames else type(error).__name__


def _cause(error: BaseException) -> str:
    return f"{type(error).__name__} at {_origin(error)}: {str(error)[:200]}"


class LoggedErrors(logging.Handler):
    """Exceptions the app logs while a request runs (requests are sent one at a time)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


def _shape(message: str) -> str:
    """A message with its values blanked, so failures differing only in input group together."""
    message = re.sub(r'"[^"]*"|\'[^\']*\'', '"…"', message)
    return re.sub(r"\d+", "N", message)[:120]


def _problems(response: httpx.Response) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """The codes in the answer, and (kind, error) for each error that breaks the rules."""
    if response.status_code >= 500:
        return [], [("5xx", {"message": response.text[:300]})]
    try:
        body = response.json()
    except ValueError:
        return [], [("not JSON", {"message": response.text[:300]})]
    errors = (body.get("errors") or []) if isinstance(body, dict) else []
    codes, bad = [], []
    for error in errors if isinstance(errors, list) else [errors]:
        if not isinstance(error, dict):
            bad.append(("malformed error", {"message": str(error)[:300]}))
            continue
        code = (error.get("extensions") or {}).get("code")
        codes.append(str(code))
        if not code:
            bad.append(("no code", error))
        elif code == "INTERNAL_ERROR":
            bad.append(("INTERNAL_ERROR", error))
        elif error.get("message") == MASKED:
            bad.append(("masked", error))
    return codes, bad


async def run_case(http: httpx.AsyncClient, case: Case, role: str, token: str, tally: Tally,
                   logged: LoggedErrors) -> None:
    logged.errors.clear()
    try:
        # ASGITransport ignores httpx timeouts: a case that stalls the app would otherwise stall the run.
        response = await asyncio.wait_for(post(http, case, token), STALL_S)
    except TimeoutError:
        tally.count(0, [])
        tally.add(Failure("stalled", role, case, 0, f"no answer within {STALL_S:.0f}s", "", "stalled|"
                          + "|".join(case.fields)))
        return
    except Exception as exc:  # the app raised instead of answering: a 500 to a real client
        tally.count(500, [])
        tally.add(Failure("raised", role, case, 500, "", _cause(exc), f"raised|{_origin(exc)}"))
        return
    codes, bad = _problems(response)
    tally.count(response.status_code, codes)
    tally.called.update(case.fields)
    if response.status_code == 200 and not codes:
        tally.answered.update(case.fields)
    error = logged.errors[0] if logged.errors else None
    for kind, problem in bad:
        root = (problem.get("path") or ["-"])[0]
        where = _origin(error) if error else _shape(problem.get("message", ""))
        tally.add(Failure(kind, role, case, response.status_code, response.text[:600],
                          _cause(error) if error else "", f"{kind}|{root}|{where}"))


async def run_cases(http: httpx.AsyncClient, cases: list[tuple[str, Case]], tokens: dict[str, str], tally: Tally,
                    *, deadline: float) -> int:
    """Each (role, case) in turn until ``deadline`` (time.monotonic); returns how many were sent."""
    logged = LoggedErrors()
    root = logging.getLogger()
    root.addHandler(logged)
    sent = 0
    try:
        for role, case in cases:
            if time.monotonic() > deadline:
                break
            await run_case(http, case, role, tokens[role], tally, logged)
            sent += 1
    finally:
        root.removeHandler(logged)
    return sent


async def run_batches(http: httpx.AsyncClient, schema: graphql.GraphQLSchema, known: Known, tokens: dict[str, str],
                      tally: Tally, *, modes: list[str], count: int, seed: int, batches: int | None,
                      deadline: float, progress: Callable[[str], None] | None = None) -> int:
    """Batch i: ``count`` cases per role in mode ``modes[i % len(modes)]`` from seed ``seed + 10 * i``, generated
    then sent; until ``batches`` batches or ``deadline`` (time.monotonic, checked before each generation and
    each request). Returns how many cases were sent. The cases sent are a prefix of one fixed sequence."""
    sent = n = 0
    while (batches is None or n < batches) and time.monotonic() < deadline:
        mode = modes[n % len(modes)]
        cases = role_cases(schema, known, MODES[mode], roles=tokens, count=count, seed=seed + 10 * n)
        done = await run_cases(http, cases, tokens, tally, deadline=deadline)
        sent += done
        n += 1
        if progress is not None:
            progress(f"batch {n} ({mode}): {done}/{len(cases)} sent; {tally.requests} requests, "
                     f"{tally.failure_count} failing answers, {len(tally.failures)} causes")
    return sent


def describe(failure: Failure) -> str:
    variables = json.dumps(failure.case.variables, allow_nan=True, ensure_ascii=True)[:600]
    return (f"--- {failure.key}\n{failure.kind} as {failure.role} (status {failure.status})\n"
            f"cause: {failure.cause or '(nothing logged)'}\nquery: {failure.case.query}\n"
            f"variables: {variables}\nresponse: {failure.response}")


def report(tally: Tally) -> str:
    return "\n".join(f"{describe(f)}\nseen {tally.per_cause[key]} times" for key, f in tally.failures.items())
