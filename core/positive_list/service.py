"""Positive-list membership use cases: admit a batch, remove (by decision or automatically), list, history.

Every change is an append-only record (who, when, reason, basis), written in one transaction with
the enterprise's ``positive_list`` period — the projection that draws, policy facts, alert measures
and leads read — its registry history entry and the audit record, so a change takes effect
everywhere at once. Admission needs the stored ``positive_list`` decision to say eligible; removal
is automatic when that decision turns ineligible (``reconcile``, run after every re-decision: a
penalty, case, emergency, verified complaint, exceedance or a credit downgrade, DOMAIN rule 12).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database, chunks, is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.hooks import FactsChanged
from core.pagination import Page, check_first, decode_cursor, encode_cursor
from core.policies.kinds import PolicyKind
from core.policies.repository import DecisionRepository, enterprises_with_codes
from core.positive_list.models import (
    ENTRY_YEARS,
    Batch,
    ChangeAction,
    ChangeCause,
    Member,
    MembershipChange,
)
from core.positive_list.repository import MembershipRepository
from core.reference import tables
from core.registry.importing import content_hash, diff_records
from core.registry.models import Enterprise, Period
from core.registry.repository import EnterpriseRepository, enterprise_document

MANAGERS = SUPERVISORS  # who admits and removes (within their jurisdictions)
MAX_BATCH = 200
SYSTEM = "system"


def _today() -> date:
    return datetime.now(UTC).date()


def default_end(start: date) -> date:
    """The last day of an entry valid ``ENTRY_YEARS`` years from ``start``."""
    try:
        return start.replace(year=start.year + ENTRY_YEARS) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + ENTRY_YEARS, day=28)


def _required(value: str, field: str, what: str, code: ErrorCode = ErrorCode.REQUIRED) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed([FieldError(field, f"{what} is required", code)])
    return value


@dataclass(frozen=True)
class Admission:
    """What a supervisor decides for a batch."""

    credit_codes: Sequence[str]
    batch: Batch
    valid_from: date
    valid_to: date | None = None
    reason: str = ""


class PositiveListService:
    def __init__(self, database: Database, *, on_changed: FactsChanged | None = None) -> None:
        self.database = database
        self.on_changed = on_changed  # stored policies may read on_positive_list: they decide again
        self.changes = MembershipRepository(database)
        self.enterprises = EnterpriseRepository(database)
        self.decisions = DecisionRepository(database)
        self.audit = AuditRepository(database)

    # -- writing -------------------------------------------------------------------------------------
    async def admit(self, viewer: Viewer, admission: Admission, *, request_id: str) -> list[MembershipChange]:
        """Admit every enterprise of the batch, or none: each must be in scope, eligible and not on the list."""
        if not viewer.has_any(MANAGERS):
            raise PermissionDenied("only supervisors and administrators manage the positive list")
        batch = Batch(name=_required(admission.batch.name, "batch.name", "the batch name"),
                      number=_required(admission.batch.number, "batch.number", "the batch number"))
        start = admission.valid_from
        end = admission.valid_to or default_end(start)
        if end < start:
            raise ValidationFailed([FieldError("validTo", "the entry ends before it starts", ErrorCode.INVALID_PERIOD)])
        codes = [c.strip().upper() for c in admission.credit_codes]
        if not codes or len(codes) > MAX_BATCH or len(set(codes)) != len(codes):
            raise ValidationFailed([FieldError("creditCodes", f"1 to {MAX_BATCH} distinct credit codes",
                                               ErrorCode.INVALID_VALUE)])
        found = await self.enterprises.by_codes(codes)
        decided = await self.decisions.current(codes)
        errors: list[FieldError] = []
        for i, code in enumerate(codes):
            enterprise = found.get(code)
            field = f"creditCodes.{i}"
            if enterprise is None or not viewer.covers(enterprise.jurisdiction):
                errors.append(FieldError(field, f"enterprise {code} not found", ErrorCode.NOT_FOUND))
            elif not _eligible(decided.get(code, {})):
                errors.append(FieldError(field, f"enterprise {code} is not eligible under the positive_list policy "
                                                "in force", ErrorCode.NOT_ELIGIBLE))
            elif enterprise.positive_list is not None and enterprise.positive_list.valid_to >= start:
                errors.append(FieldError(field, f"enterprise {code} is on the positive list until "
                                                f"{enterprise.positive_list.valid_to.isoformat()}",
                                         ErrorCode.ALREADY_ON_LIST))
        if errors:
            raise ValidationFailed(errors)
        now = datetime.now(UTC)
        reason = admission.reason.strip() or f"admitted in batch {batch.name}"
        made = [MembershipChange(
            id=str(uuid.uuid4()), credit_code=code, enterprise_name=found[code].name,
            jurisdiction=found[code].jurisdiction, action=ChangeAction.ADMITTED, cause=ChangeCause.DECISION,
            batch=batch, valid_from=start, valid_to=end, effective_on=start, reason=reason,
            basis=f"batch {batch.number}; {_basis(decided[code])}", actor=viewer.username or "",
            at=now, request_id=request_id) for code in codes]
        await self._apply(made, {c.credit_code: Period(valid_from=start, valid_to=end) for c in made},
                          expected={code: found[code].positive_list for code in codes}, action="admitToPositiveList")
        await self._changed(codes, f"positive_list:admitted:{request_id}")
        return made

    async def remove(self, viewer: Viewer, *, credit_code: str, reason: str, effective_on: date | None,
                     request_id: str) -> MembershipChange:
        """A supervisor's decision to remove a member, with its reason, from ``effective_on`` (today)."""
        if not viewer.has_any(MANAGERS):
            raise PermissionDenied("only supervisors and administrators manage the positive list")
        code = credit_code.strip().upper()
        why = _required(reason, "reason", "a reason", ErrorCode.REASON_REQUIRED)
        day = effective_on or _today()
        if day > _today() + timedelta(days=1):  # local dates: one day of time-zone slack
            raise ValidationFailed([FieldError("effectiveOn", "a removal takes effect today or earlier",
                                               ErrorCode.IN_FUTURE)])
        enterprise = (await self.enterprises.by_codes([code])).get(code)
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {code} not found", field="creditCode")
        entry = enterprise.positive_list
        if entry is None or entry.valid_to < day:
            raise ValidationFailed([FieldError("creditCode", f"enterprise {code} is not on the positive list",
                                               ErrorCode.NOT_ON_LIST)])
        change = _removal(enterprise, day, cause=ChangeCause.DECISION, reason=why,
                          basis=f"decision of {viewer.username}", actor=viewer.username or "", request_id=request_id)
        await self._apply([change], {code: _cut(entry, day)}, expected={code: entry}, action="removeFromPositiveList")
        await self._changed([code], f"positive_list:removed:{change.id}")
        return change

    async def reconcile(self, query: dict[str, Any], trigger: str) -> int:
        """Members among the enterprises matching ``query`` whose stored positive_list decision is no longer
        eligible are removed today, automatically (DOMAIN rule 12). Idempotent: one automatic removal per
        entry, so a replayed or concurrent trigger removes nothing twice. Returns how many were removed."""
        today = _today()
        codes = await self.changes.members_among(query, today)
        if not codes:
            return 0
        decided = await self.decisions.current(codes)
        leaving = [c for c in codes if c in decided and PolicyKind.POSITIVE_LIST.value in decided[c]
                   and not _eligible(decided[c])]
        found = await self.enterprises.by_codes(leaving)
        removed = 0
        for code in leaving:
            enterprise = found.get(code)
            if enterprise is None or enterprise.positive_list is None:
                continue
            decision = decided[code][PolicyKind.POSITIVE_LIST.value]
            entry = enterprise.positive_list
            key = f"ecoinspect:positive-list:auto:{code}:{entry.valid_from}:{entry.valid_to}"
            change = _removal(enterprise, today, cause=ChangeCause.AUTOMATIC,
                              reason="; ".join(decision.get("rationale") or []) or "no longer eligible",
                              basis=f"{_basis(decided[code])}; trigger {trigger}", actor=SYSTEM,
                              request_id=trigger, change_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)))
            try:
                await self._apply([change], {code: _cut(entry, today)}, expected={code: entry},
                                  action="removeFromPositiveList")
            except Conflict:
                continue  # the entry changed meanwhile (a supervisor removed it): nothing left to remove
            except Exception as exc:
                if not is_duplicate_key(exc):
                    raise
                continue  # removed by a concurrent trigger already
            removed += 1
        return removed

    async def reconcile_daily(self, day: date) -> dict[str, Any]:
        """The daily job: members whose eligibility lapsed with time (a permit that expired) leave the list."""
        return {"removed": await self.reconcile({}, f"daily:{day.isoformat()}")}

    async def _apply(self, changes: list[MembershipChange], periods: dict[str, Period | None], *,
                     expected: dict[str, Period | None], action: str) -> None:
        """The change records, the projected periods (with registry history) and the audit, in one transaction;
        refused (nothing written) when an entry is no longer the one the checks read: a concurrent change won."""
        async def store(session: Any) -> None:
            current = await self.enterprises.by_codes([c.credit_code for c in changes], session=session)
            updates, history = [], []
            for change in changes:
                enterprise = current[change.credit_code]
                if enterprise.positive_list != expected[change.credit_code]:
                    raise Conflict(f"the positive-list entry of {change.credit_code} changed meanwhile",
                                   code=ErrorCode.ALREADY_ON_LIST if change.action is ChangeAction.ADMITTED
                                   else ErrorCode.NOT_ON_LIST, field="creditCode")
                before = enterprise.data()
                after = before.model_copy(update={"positive_list": periods[change.credit_code]})
                digest = content_hash(after)
                updates.append(({**enterprise_document(after, content_hash=digest), "updated_at": change.at},
                                 enterprise.version))
                history.append({"credit_code": change.credit_code, "version": enterprise.version + 1,
                                "at": change.at, "actor": change.actor, "source": f"positive_list:{change.id}",
                                "changes": diff_records(before, after)})
                await self.changes.insert(change, session=session)
                await self.audit.append(actor=change.actor, action=action, target=f"enterprise:{change.credit_code}",
                                        request_id=change.request_id, outcome="ok",
                                        detail={"change": change.id, "cause": change.cause.value,
                                                "effective_on": change.effective_on.isoformat()}, session=session)
            if await self.enterprises.apply_updates(updates, history, session=session):
                raise RuntimeError("an enterprise changed inside the membership transaction")  # aborts; not expected

        await self.database.transaction(store)

    async def _changed(self, codes: list[str], trigger: str) -> None:
        if self.on_changed is not None:
            for part in chunks(codes):
                await self.on_changed(enterprises_with_codes(part), trigger)

    # -- reading -------------------------------------------------------------------------------------
    async def members(self, viewer: Viewer, *, first: int, after: str | None, jurisdiction: str | None = None,
                      on: date | None = None) -> Page[Member]:
        """Current members within the viewer's jurisdictions (or one jurisdiction inside them)."""
        scope = self._scope(viewer, jurisdiction)
        check_first(first)
        docs, more = await self.changes.members_page(scope=scope, day=on or _today(), after=decode_cursor(after),
                                                     first=first)
        items = await self._members(docs)
        return Page(items, [encode_cursor(m.seq) for m in items], more)

    async def history(self, viewer: Viewer, credit_code: str) -> list[MembershipChange]:
        """Every membership change of one enterprise, newest first."""
        code = credit_code.strip().upper()
        self._scope(viewer, None)
        enterprise = (await self.enterprises.by_codes([code])).get(code)
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {code} not found", field="creditCode")
        return await self.changes.history(code)

    async def public_members(self, *, jurisdiction: str | None = None, limit: int = 5000) -> list[Member]:
        """The published list (一公开): every current member, in registry order."""
        docs = await self.changes.members_all(scope=[_division(jurisdiction)], day=_today(), limit=limit)
        return await self._members(docs)

    async def public_history(self, *, jurisdiction: str | None = None, limit: int = 500) -> list[MembershipChange]:
        """The published history: the latest admissions and removals."""
        return await self.changes.recent([_division(jurisdiction)], limit=limit)

    async def _members(self, docs: list[dict[str, Any]]) -> list[Member]:
        admissions = await self.changes.admissions([d["credit_code"] for d in docs])
        return [Member(credit_code=d["credit_code"], enterprise_name=d["name"], jurisdiction=d["jurisdiction"],
                       valid_from=d["positive_list"]["valid_from"], valid_to=d["positive_list"]["valid_to"],
                       seq=d["seq"], admission=admissions.get(d["credit_code"])) for d in docs]

    def _scope(self, viewer: Viewer, jurisdiction: str | None) -> list[str]:
        if not viewer.has_any(MANAGERS):
            raise PermissionDenied("positive-list management is for supervisors and administrators")
        if jurisdiction is not None:
            if not viewer.covers(jurisdiction):
                raise PermissionDenied(f"jurisdiction {jurisdiction} is outside your scope")
            return [jurisdiction]
        return list(viewer.jurisdictions)


def _division(jurisdiction: str | None) -> str:
    code = jurisdiction or tables.root_code()
    if code not in tables.divisions():
        raise NotFound(f"jurisdiction {code} not found", field="jurisdiction")
    return code


def _eligible(decisions: dict[str, Any]) -> bool:
    decision = decisions.get(PolicyKind.POSITIVE_LIST.value) or {}
    return bool((decision.get("outputs") or {}).get("eligible"))


def _basis(decisions: dict[str, Any]) -> str:
    decision = decisions.get(PolicyKind.POSITIVE_LIST.value) or {}
    return f"{decision.get('version', '?')} rules {', '.join(decision.get('rules') or [])}"


def _cut(entry: Period, day: date) -> Period | None:
    """The entry ended the day before ``day``; nothing is left of an entry that had not started by then."""
    last = day - timedelta(days=1)
    return Period(valid_from=entry.valid_from, valid_to=min(entry.valid_to, last)) if entry.valid_from <= last \
        else None


def _removal(enterprise: Enterprise, day: date, *, cause: ChangeCause, reason: str, basis: str, actor: str,
             request_id: str, change_id: str | None = None) -> MembershipChange:
    entry = enterprise.positive_list
    return MembershipChange(
        id=change_id or str(uuid.uuid4()), credit_code=enterprise.credit_code, enterprise_name=enterprise.name,
        jurisdiction=enterprise.jurisdiction, action=ChangeAction.REMOVED, cause=cause,
        valid_from=entry.valid_from if entry else None, valid_to=entry.valid_to if entry else None,
        effective_on=day, reason=reason, basis=basis, actor=actor, at=datetime.now(UTC), request_id=request_id)
