"""Case use cases: open a case, record a step, read cases and their timelines, find what is late.

Every step goes the same way: the viewer's role and jurisdiction, the replay check by the step's UUID,
the step's own rules (``core.cases.steps``), then the step record, the case and the audit record in one
transaction. A refused step is audited with its code and writes nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import CASE_READERS, CASE_STAFF
from core.audit.repository import AuditRepository
from core.cases.chain import GENESIS, step_hash
from core.cases.evidence import EvidenceCatalog
from core.cases.integrity import CaseCheck, check_case
from core.cases.models import Case, Decision, DecisionKind, Discretion, EvidenceRef, Step, StepKind
from core.cases.repository import CaseRepository
from core.cases.settings import CaseRules
from core.cases.steps import Actor, advance, parse
from core.db import Database, is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.pagination import MAX_PAGE, check_first, decode_cursor, encode_cursor
from core.registry.repository import EnterpriseRepository, InspectorRepository

Recommend = Callable[[str, dict[str, Any], date], Awaitable[Discretion]]
OnPenalty = Callable[[Case, Decision, str], Awaitable[None]]
FACTOR_FIELDS = ("harm", "fault", "means", "object", "correction", "repeat_offence", "corrected", "caused_harm")


class CaseService:
    def __init__(self, database: Database, rules: CaseRules, *, recommend: Recommend | None = None,
                 on_penalty: OnPenalty | None = None) -> None:
        self.database = database
        self.rules = rules
        self.recommend = recommend
        self.on_penalty = on_penalty
        self.cases = CaseRepository(database)
        self.enterprises = EnterpriseRepository(database)
        self.inspectors = InspectorRepository(database)
        self.catalog = EvidenceCatalog(database)
        self.audit = AuditRepository(database)

    # -- writing -------------------------------------------------------------------------------------
    async def open(self, viewer: Viewer, data: dict[str, Any], *, request_id: str) -> tuple[Case, bool]:
        """Open a case (立案申请) from a finding; ``data["id"]`` is the caller's UUID (case and step id).
        Returns the case and whether it was new."""
        target = f"case:{data.get('id')}"
        try:
            return await self._open(viewer, data, request_id)
        except DomainError as exc:
            await self._refused(viewer, "openCase", target, request_id, exc)
            raise

    async def record(self, viewer: Viewer, case_id: str, kind: StepKind, step_id: str, data: dict[str, Any], *,
                     request_id: str) -> tuple[Case, bool]:
        """Add one step to a case; ``step_id`` is the caller's UUID. Returns the case and whether the step was new."""
        try:
            return await self._record(viewer, case_id, kind, step_id, data, request_id)
        except DomainError as exc:
            await self._refused(viewer, f"case:{kind.value}", f"case:{case_id}", request_id, exc)
            raise

    async def _open(self, viewer: Viewer, data: dict[str, Any], request_id: str) -> tuple[Case, bool]:
        if not viewer.has_any(CASE_STAFF):
            raise PermissionDenied("only inspectors and supervisors open cases")
        replay = await self._replayed(str(data.get("id", "")), None, StepKind.OPEN, data)
        if replay is not None:
            return replay, False
        resolved = await self._resolve_opening(viewer, data)
        actor = _actor(viewer)
        case = advance(None, StepKind.OPEN, resolved, actor, self.rules)
        step = self._step(case.id, 1, StepKind.OPEN, data, _computed(resolved, data), actor, GENESIS)
        case = case.model_copy(update={"version": 1, "head_hash": step.hash})
        seq = await self.cases.next_seq()

        async def store(session: Any) -> None:
            await self.cases.create(case, step, seq, session=session)
            await self._audit(actor, "openCase", case.id, request_id, session)

        try:
            await self.database.transaction(store)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            replay = await self._replayed(case.id, None, StepKind.OPEN, data)
            if replay is None:
                raise
            return replay, False
        return case, True

    async def _resolve_opening(self, viewer: Viewer, data: dict[str, Any]) -> dict[str, Any]:
        code = str(data.get("credit_code", "")).strip().upper()
        enterprise = (await self.enterprises.by_codes([code])).get(code) if code else None
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {code} not found", field="creditCode")
        officers = [str(o) for o in data.get("officers", [])]
        found = await self.inspectors.by_ids(officers)
        today = datetime.now(UTC).date()
        usable = [o for o in officers if o in found and found[o].certified_on(today) and code not in found[o].conflicts]
        if len(set(usable)) < 2 or len(usable) != len(officers):
            raise ValidationFailed([FieldError("officers", "a case needs at least two certified, on-post officers "
                                               "without a conflict with the party", ErrorCode.OFFICERS_REQUIRED)])
        violations = [{**v, "legal_basis": v.get("legal_basis") or self._basis(v)} for v in data.get("violations", [])
                      if isinstance(v, dict)]
        evidence = await self._evidence([*_source_evidence(data), *(data.get("evidence") or [])])
        return {**data, "credit_code": code, "party_name": enterprise.name, "jurisdiction": enterprise.jurisdiction,
                "violations": violations or data.get("violations"), "evidence": evidence}

    def _basis(self, violation: dict[str, Any]) -> str:
        statutory = self.rules.fines.get(str(violation.get("violation_type")))
        return statutory.legal_basis if statutory else ""

    async def _evidence(self, raw: Any) -> list[dict[str, Any]]:
        refs = parse(StepKind.ADD_EVIDENCE, {"evidence": raw}).evidence if raw else []  # type: ignore[attr-defined]
        resolved: list[EvidenceRef] = await self.catalog.resolve(refs)
        return [r.model_dump(mode="json") for r in resolved]

    async def _record(self, viewer: Viewer, case_id: str, kind: StepKind, step_id: str, data: dict[str, Any],
                      request_id: str) -> tuple[Case, bool]:
        if kind == StepKind.OPEN:
            raise Conflict("a case is opened with openCase", code=ErrorCode.STEP_OUT_OF_ORDER)
        case = await self._readable(viewer, case_id)
        replay = await self._replayed(step_id, case_id, kind, data)
        if replay is not None:
            await self._consequences(None, replay, request_id)  # a retry after a failed hook completes it
            return replay, False
        enriched = await self._enrich(kind, data, case)
        actor = _actor(viewer)

        async def store(session: Any) -> Case:
            stored = dict(enriched)
            if kind == StepKind.APPROVE_FILING and stored.get("approved") is True:
                year = _year(stored.get("filed_on"), actor.today.year)
                seq = await self.cases.next_number(self.rules.authority, year, session=session)
                stored["number"] = self.rules.number(year, seq)
            after = advance(case, kind, stored, actor, self.rules)
            step = self._step(case.id, case.version + 1, kind, data, _computed(stored, data), actor, case.head_hash,
                              step_id=step_id)
            after = after.model_copy(update={"version": case.version + 1, "head_hash": step.hash})
            if not await self.cases.append(after, step, expected_version=case.version, session=session):
                raise Conflict(f"case {case.id} changed meanwhile; read it and try again",
                               code=ErrorCode.CONCURRENT_WRITE)
            await self._audit(actor, f"case:{kind.value}", case.id, request_id, session)
            return after

        try:
            after = await self.database.transaction(store)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            replay = await self._replayed(step_id, case_id, kind, data)
            if replay is None:
                raise Conflict(f"case {case.id} changed meanwhile; read it and try again",
                               code=ErrorCode.CONCURRENT_WRITE) from None
            await self._consequences(None, replay, request_id)
            return replay, False
        await self._consequences(case, after, request_id)
        return after, True

    async def _enrich(self, kind: StepKind, data: dict[str, Any], case: Case) -> dict[str, Any]:
        """What the service adds before the step's rules run: evidence hashes, the discretion recommendation."""
        if kind == StepKind.ADD_EVIDENCE:
            return {**data, "evidence": await self._evidence(data.get("evidence", []))}
        if kind != StepKind.REVIEW or not isinstance(data.get("fines"), list):
            return data
        fines = []
        for line in data["fines"]:
            if not isinstance(line, dict):
                fines.append(line)
                continue
            factors = line.get("factors")
            rest = {k: v for k, v in line.items() if k != "factors"}
            violation = rest.get("violation")
            if isinstance(factors, dict) and self.recommend is not None and isinstance(violation, int) \
                    and 0 <= violation < len(case.violations):
                kind_of = case.violations[violation].violation_type
                rest["discretion"] = (await self.recommend(kind_of, factors, datetime.now(UTC).date())) \
                    .model_dump(mode="json")
            fines.append(rest)
        return {**data, "fines": fines}

    async def _consequences(self, before: Case | None, after: Case, request_id: str) -> None:
        """A decided penalty becomes a PENALTY event, so credit, class and positive list are decided again.
        The hook is idempotent (one event per decision), so a replay (``before`` None) runs it for every
        decided penalty: a retry after the hook failed once the step was stored still records the event."""
        if self.on_penalty is None:
            return
        decided_before = {d.id for d in before.decisions if d.decided_on} if before is not None else set()
        for decision in after.decisions:
            if decision.decided_on and decision.id not in decided_before and decision.kind != DecisionKind.NO_PENALTY:
                await self.on_penalty(after, decision, request_id)

    def _step(self, case_id: str, seq: int, kind: StepKind, request: dict[str, Any], computed: dict[str, Any],
              actor: Actor, prev_hash: str, *, step_id: str | None = None) -> Step:
        roles = sorted(r.value for r in actor.roles)
        body = {"case_id": case_id, "seq": seq, "kind": kind.value, "request": request, "computed": computed,
                "actor": actor.username, "roles": roles,
                "inspector_id": actor.inspector_id, "at": actor.at.isoformat()}
        return Step(id=step_id or case_id, case_id=case_id, seq=seq, kind=kind, request=request, computed=computed,
                    actor=actor.username, roles=roles, inspector_id=actor.inspector_id, at=actor.at,
                    prev_hash=prev_hash, hash=step_hash(prev_hash, body))

    async def _replayed(self, step_id: str, case_id: str | None, kind: StepKind, data: dict[str, Any]) -> Case | None:
        """The case after a step already stored under ``step_id`` with the same request; ID_CONFLICT otherwise."""
        if not step_id:
            return None
        stored = await self.cases.step(step_id)
        if stored is None:
            return None
        same = stored.kind == kind and (case_id is None or stored.case_id == case_id) \
            and _canonical(stored.request) == _canonical(data)
        if not same:
            raise Conflict(f"step {step_id} was recorded with a different request", code=ErrorCode.ID_CONFLICT,
                           field="id")
        return await self.cases.get(stored.case_id)

    async def _audit(self, actor: Actor, action: str, case_id: str, request_id: str, session: Any) -> None:
        await self.audit.append(actor=actor.username, action=action, target=f"case:{case_id}",
                                request_id=request_id, outcome="ok", session=session)

    async def _refused(self, viewer: Viewer, action: str, target: str, request_id: str, exc: DomainError) -> None:
        await self.audit.append(actor=viewer.username, action=action, target=target, request_id=request_id,
                                outcome=f"refused:{exc.code}", detail={"message": exc.message[:500]})

    # -- reading -------------------------------------------------------------------------------------
    async def _readable(self, viewer: Viewer, case_id: str) -> Case:
        # Writers are checked per step (a legal reviewer signs the legal review and nothing else).
        if not viewer.has_any(CASE_READERS):
            raise PermissionDenied("this account may not see cases")
        case = await self.cases.get(case_id)
        if case is None or not viewer.covers(case.jurisdiction):
            raise NotFound(f"case {case_id} not found", field="caseId")
        return case

    async def get(self, viewer: Viewer, case_id: str) -> Case:
        return await self._readable(viewer, case_id)

    async def timeline(self, viewer: Viewer, case_id: str) -> list[Step]:
        case = await self._readable(viewer, case_id)
        return await self.cases.steps(case.id)

    async def timelines(self, case_ids: list[str]) -> dict[str, list[Step]]:
        """The steps of cases the caller has already read through this service (so within the viewer's scope):
        the batch behind ``Case.timeline``, one query for a page of cases."""
        return await self.cases.steps_of(case_ids)

    async def inspect(self, viewer: Viewer, case_id: str) -> tuple[Case, list[Step], CaseCheck]:
        """A case with its steps and the check of both: the hash chain, and the fold against the stored case."""
        case = await self._readable(viewer, case_id)
        steps = await self.cases.steps(case.id)
        return case, steps, check_case(case, steps, self.rules)

    async def list_up_to(self, viewer: Viewer, *, limit: int, status: str | None = None, overdue: bool = False,
                         jurisdiction: str | None = None) -> list[Case]:
        """Up to ``limit`` cases in filing order, read page by page (the command line's list)."""
        found: list[Case] = []
        after: str | None = None
        while len(found) < limit:
            rows, more = await self.list_cases(viewer, first=min(MAX_PAGE, limit - len(found)), after=after,
                                               status=status, overdue=overdue, jurisdiction=jurisdiction)
            found += [case for _, case in rows]
            if not more or not rows:
                break
            after = rows[-1][0]
        return found

    async def list_cases(self, viewer: Viewer, *, first: int, after: str | None, status: str | None = None,
                         credit_code: str | None = None, overdue: bool = False,
                         jurisdiction: str | None = None) -> tuple[list[tuple[str, Case]], bool]:
        """A page of the cases in the viewer's jurisdictions (or one of them), in filing order."""
        if not viewer.has_any(CASE_READERS):
            raise PermissionDenied("this account may not see cases")
        check_first(first)
        scopes = list(viewer.jurisdictions)
        if jurisdiction is not None:
            if not viewer.covers(jurisdiction):
                return [], False
            scopes = [jurisdiction]
        rows, more = await self.cases.page(after=decode_cursor(after), first=first, jurisdictions=scopes,
                                           status=status, credit_code=credit_code.strip().upper() if credit_code
                                           else None, overdue_on=datetime.now(UTC).date() if overdue else None)
        return [(encode_cursor(seq), case) for seq, case in rows], more


def _actor(viewer: Viewer) -> Actor:
    # The store keeps milliseconds (BSON dates): hash the time it gives back, so the chain can be checked again.
    now = datetime.now(UTC)
    return Actor(username=viewer.username or "anonymous", roles=viewer.roles, inspector_id=viewer.inspector_id,
                 at=now.replace(microsecond=now.microsecond // 1000 * 1000))


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def _computed(stored: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """What the service added to the caller's request (the case number, evidence hashes, discretion), kept
    beside it in the step record so the step can be replayed exactly."""
    return {k: v for k, v in stored.items() if data.get(k) != v}


def _year(value: Any, default: int) -> int:
    """The year of an ISO date given by the caller (validated by the step itself), else ``default``."""
    try:
        return date.fromisoformat(str(value)).year
    except ValueError:
        return default


SOURCE_EVIDENCE = {"onsite_finding": "field_record", "power_alert": "power_alert", "drone_flight": "drone_flight",
                   "complaint": "complaint", "hotspot": "hotspot"}


def _source_evidence(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The finding a case comes from is its first evidence: an on-site finding's task record (by its hash chain),
    the power alert, flight, complaint or hotspot alert named by ``source_id``."""
    kind = SOURCE_EVIDENCE.get(str(data.get("source")))
    source_id = data.get("source_id")
    if kind is None or not source_id:
        return []
    listed = data.get("evidence") or []
    if any(isinstance(e, dict) and e.get("kind") == kind and e.get("id") == source_id for e in listed):
        return []
    return [{"kind": kind, "id": source_id}]
