"""Policies' use cases: the version lifecycle (draft → in review → approved → active → retired, or discarded)
with golden cases, city policies, simulation and explanation over the registry, re-deciding enterprises when
their facts change, and refreshing the stored decisions a version governs once it is in force.

An active version is never edited: a change is a new version from a parent. Approval needs a
second person. Activation retires the previous version from the day before; rollback
re-activates an earlier one. Every step is written to the append-only change log. The rule
engine (vocabulary, analysis, durable_rules, default packs) is injected: ``PolicyEngine``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import ANY_ROLE, AUTHORS
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.policies import decisions, simulation
from core.policies.engine import EvaluationError, PolicyEngine, RulesInForce
from core.policies.kinds import CASE_KINDS, KINDS, STORED_KINDS, PolicyKind
from core.policies.models import (
    DecisionRefresh,
    Explanation,
    GoldenCase,
    GoldenCaseResult,
    Period,
    Policy,
    PolicyVersion,
    RefreshState,
    VersionStatus,
)
from core.policies.repository import DecisionRepository, PolicyRepository, RefreshRepository, every_enterprise
from core.policies.scope import CITY_KINDS, applicable, is_city
from core.policies.simulation import Simulation
from core.reference import tables

SYSTEM = "system"


class PolicyService:
    def __init__(self, database: Database, *, engine: PolicyEngine) -> None:
        self.database = database
        self.engine = engine
        self.repository = PolicyRepository(database)
        self.decisions = DecisionRepository(database)
        self.refreshes = RefreshRepository(database)

    async def install_default_packs(self) -> list[str]:
        """Load each default pack as the active first version of its province-wide policy, once."""
        installed = []
        now = datetime.now(UTC)
        for kind, document in self.engine.default_packs().items():
            policy_id = f"{kind}:{tables.root_code()}"
            if await self.repository.get_policy(policy_id):
                continue
            content, errors = self.engine.check(document)
            if content is None or errors:
                raise RuntimeError(f"default pack {kind} is invalid: {errors}")
            await self.repository.ensure_policy(Policy(id=policy_id, kind=kind, jurisdiction=tables.root_code(),
                                                       created_at=now))
            number = await self.repository.next_number(policy_id)
            version = PolicyVersion(
                id=f"{policy_id}:v{number}", policy_id=policy_id, number=number, status=VersionStatus.ACTIVE,
                content=content.content, content_hash=content.content_hash, author=SYSTEM,
                approver=SYSTEM, periods=[Period(start=date(2000, 1, 1))], created_at=now, updated_at=now)
            await self.repository.insert_version(version)
            await self.repository.set_active(policy_id, version.id)
            await self.repository.log(policy_id=policy_id, version_id=version.id, actor=SYSTEM,
                                      action="install", reason="default pack shipped with the code")
            installed.append(version.id)
        return installed

    # -- reading ---------------------------------------------------------------------------------
    async def policy(self, policy_id: str, viewer: Viewer | None = None) -> Policy:
        """A policy; with ``viewer``, only if the viewer's jurisdictions cover it."""
        found = await self.repository.get_policy(policy_id)
        if found is None or (viewer is not None and not viewer.covers(found.jurisdiction)):
            raise NotFound(f"policy {policy_id} not found", field="policyId")
        return found

    async def scoped_version(self, viewer: Viewer, version_id: str) -> PolicyVersion:
        version = await self.version(version_id)
        await self.policy(version.policy_id, viewer)
        return version

    async def list_policies(self, viewer: Viewer) -> list[Policy]:
        return [p for p in await self.repository.list_policies() if viewer.covers(p.jurisdiction)]

    async def version(self, version_id: str) -> PolicyVersion:
        found = await self.repository.get_version(version_id)
        if found is None:
            raise NotFound(f"policy version {version_id} not found", field="versionId")
        return found

    async def versions(self, policy_id: str) -> list[PolicyVersion]:
        """Every version of a policy, oldest first."""
        return await self.repository.versions(policy_id)

    async def changes(self, policy_id: str, first: int) -> list[dict[str, Any]]:
        """The policy's change log, newest first."""
        return await self.repository.changes(policy_id, first)

    async def in_force(self, policy_id: str, day: date) -> PolicyVersion | None:
        """The version that was (or is) in force on ``day``: past events use their own date's rules."""
        for version in reversed(await self.repository.versions(policy_id)):
            if version.in_force_on(day):
                return version
        return None

    async def rules_in_force(self, kind: str, day: date, jurisdiction: str | None = None) -> RulesInForce | None:
        """The policy of ``kind`` that applies in ``jurisdiction`` (default: the province) on ``day``, compiled:
        the jurisdiction's own where it has one in force, else its city's, else the province's."""
        return applicable(await self.rules_by_jurisdiction(kind, day), jurisdiction or tables.root_code())

    async def rules_by_jurisdiction(self, kind: str, day: date) -> dict[str, RulesInForce]:
        """Every policy of ``kind`` with a version in force on ``day``, compiled, by its jurisdiction."""
        found = {}
        for policy in await self.repository.list_policies():
            if policy.kind == kind and (version := await self.in_force(policy.id, day)) is not None:
                found[policy.jurisdiction] = RulesInForce(version=version, rules=self.engine.compile(version))
        return found

    async def create_policy(self, viewer: Viewer, *, kind: str, jurisdiction: str) -> PolicyVersion:
        """A city's own policy of ``kind``: its first version is a draft copied from the province's active one
        (rules and golden cases). Until a version of it is in force, the province's decides for the city."""
        _author(viewer)
        if kind not in {k.value for k in KINDS}:
            raise ValidationFailed([FieldError("kind", f"unknown policy kind {kind}", ErrorCode.UNKNOWN_KIND)])
        if kind not in CITY_KINDS:
            raise ValidationFailed([FieldError("kind", f"{kind} is decided by the province's policy only",
                                               ErrorCode.INVALID_VALUE)])
        if not is_city(jurisdiction):
            raise ValidationFailed([FieldError("jurisdiction", f"{jurisdiction} is not a city of the province",
                                               ErrorCode.INVALID_VALUE)])
        if not viewer.covers(jurisdiction):
            raise PermissionDenied(f"jurisdiction {jurisdiction} is outside your scope")
        province = await self.policy(f"{kind}:{tables.root_code()}")
        parent = await self.version(province.active_version or "")
        policy_id, now = f"{kind}:{jurisdiction}", datetime.now(UTC)

        async def create(session: Any) -> PolicyVersion:
            if not await self.repository.insert_policy(
                    Policy(id=policy_id, kind=kind, jurisdiction=jurisdiction, created_at=now), session=session):
                raise Conflict(f"policy {policy_id} exists already", code=ErrorCode.CONFLICT, field="jurisdiction")
            number = await self.repository.next_number(policy_id, session=session)
            version = PolicyVersion(
                id=f"{policy_id}:v{number}", policy_id=policy_id, number=number, status=VersionStatus.DRAFT,
                content=parent.content, content_hash=parent.content_hash, parent=parent.id,
                author=viewer.username or "", golden_cases=parent.golden_cases, created_at=now, updated_at=now)
            await self.repository.insert_version(version, session=session)
            await self.repository.log(policy_id=policy_id, version_id=version.id, actor=viewer.username,
                                      action="create_policy", detail={"parent": parent.id}, session=session)
            return version

        return await self.database.transaction(create)

    # -- authoring -------------------------------------------------------------------------------
    async def create_version(self, viewer: Viewer, policy_id: str, *, parent_id: str | None = None) -> PolicyVersion:
        _author(viewer)
        policy = await self.policy(policy_id, viewer)
        parent = await self.version(parent_id or policy.active_version or "")
        if parent.policy_id != policy_id:
            raise ValidationFailed([FieldError("parentId", f"{parent.id} is not a version of {policy_id}",
                                               ErrorCode.INVALID_VALUE)])
        number = await self.repository.next_number(policy_id)
        now = datetime.now(UTC)
        version = PolicyVersion(
            id=f"{policy_id}:v{number}", policy_id=policy_id, number=number, status=VersionStatus.DRAFT,
            content=parent.content, content_hash=parent.content_hash, parent=parent.id,
            author=viewer.username or "", golden_cases=parent.golden_cases, created_at=now, updated_at=now)
        await self.repository.insert_version(version)
        await self.repository.log(policy_id=policy_id, version_id=version.id, actor=viewer.username,
                                  action="create", detail={"parent": parent.id})
        return version

    async def update_draft(self, viewer: Viewer, version_id: str, document: dict[str, Any], *,
                           reason: str) -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.DRAFT, "only a draft can be edited")
        content, errors = self.engine.check(document)
        if content is None or errors:
            raise ValidationFailed(errors)
        if content.kind != version.content["kind"]:
            raise ValidationFailed([FieldError("kind", "a version cannot change its policy kind", ErrorCode.IMMUTABLE)])
        updated = await self.repository.update_version(
            version_id, expect_status=VersionStatus.DRAFT.value,
            changes={"content": content.content, "content_hash": content.content_hash})
        if updated is None:
            raise Conflict(f"version {version_id} left the draft state meanwhile", code=ErrorCode.STALE_VERSION)
        await self.repository.log(policy_id=version.policy_id, version_id=version_id, actor=viewer.username,
                                  action="update", reason=reason)
        return updated

    async def validate(self, viewer: Viewer, version_id: str) -> list[FieldError]:
        """Schema, vocabulary, gaps, conflicts, dead rules and a trial compilation of a version."""
        return self.engine.validate(await self.scoped_version(viewer, version_id))

    async def run_golden_cases(self, viewer: Viewer, version_id: str) -> list[GoldenCaseResult]:
        """Each golden case of a version: its facts evaluated, compared with the expected outputs."""
        return self._run_cases(await self.scoped_version(viewer, version_id))

    def _run_cases(self, version: PolicyVersion) -> list[GoldenCaseResult]:
        rules = self.engine.compile(version)
        results = []
        for case in version.golden_cases:
            try:
                outputs, error = rules.evaluate(case.facts).outputs, None
            except EvaluationError as exc:
                outputs, error = {}, str(exc)
            results.append(GoldenCaseResult(id=case.id, passed=error is None and outputs == case.expected,
                                            actual=outputs, expected=case.expected, error=error))
        return results

    async def add_golden_case(self, viewer: Viewer, version_id: str, *, facts: dict[str, Any],
                              expected: dict[str, Any], note: str = "") -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.DRAFT, "golden cases are added to drafts")
        errors = self._golden_case_errors(version, facts, expected)
        if errors:
            raise ValidationFailed(errors)
        case = GoldenCase(id=uuid.uuid4().hex[:12], facts=facts, expected=expected, note=note)
        updated = await self.repository.update_version(
            version_id, expect_status=VersionStatus.DRAFT.value,
            changes={"golden_cases": [c.model_dump() for c in [*version.golden_cases, case]]})
        if updated is None:
            raise Conflict(f"version {version_id} left the draft state meanwhile", code=ErrorCode.STALE_VERSION)
        await self.repository.log(policy_id=version.policy_id, version_id=version_id, actor=viewer.username,
                                  action="add_golden_case", detail={"case": case.id})
        return updated

    def _golden_case_errors(self, version: PolicyVersion, facts: dict[str, Any],
                            expected: dict[str, Any]) -> list[FieldError]:
        """Facts outside the vocabulary, and expected outputs the kind does not have or cannot give: such a case
        could never pass, and would block the version's submission."""
        errors = [FieldError(f"facts.{e.field}", e.message, e.code) for e in self.engine.check_facts(facts)]
        outputs = KINDS[PolicyKind(version.content["kind"])].outputs
        for name, value in expected.items():
            if name not in outputs:
                errors.append(FieldError(f"expected.{name}", f"{version.content['kind']} has no output {name}",
                                         ErrorCode.UNKNOWN_OUTPUT))
            elif not outputs[name].accepts(value):
                errors.append(FieldError(f"expected.{name}", f"{name} cannot be {value!r}", ErrorCode.INVALID_OUTPUT))
        return errors

    async def delete_golden_case(self, viewer: Viewer, version_id: str, *, case_id: str) -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.DRAFT, "golden cases are deleted from drafts")
        kept = [c for c in version.golden_cases if c.id != case_id]
        if len(kept) == len(version.golden_cases):
            raise NotFound(f"golden case {case_id} not found in {version_id}", field="caseId")
        updated = await self.repository.update_version(
            version_id, expect_status=VersionStatus.DRAFT.value,
            changes={"golden_cases": [c.model_dump() for c in kept]})
        if updated is None:
            raise Conflict(f"version {version_id} left the draft state meanwhile", code=ErrorCode.STALE_VERSION)
        await self.repository.log(policy_id=version.policy_id, version_id=version_id, actor=viewer.username,
                                  action="delete_golden_case", detail={"case": case_id})
        return updated

    async def discard_draft(self, viewer: Viewer, version_id: str, *, reason: str) -> PolicyVersion:
        """Give a draft up: it is kept, discarded, and can never be edited, submitted or activated."""
        _author(viewer)
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "discarding a draft needs a reason",
                                               ErrorCode.REASON_REQUIRED)])
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.DRAFT, "only a draft can be discarded")
        moved = await self.repository.update_version(version.id, expect_status=VersionStatus.DRAFT.value,
                                                     changes={"status": VersionStatus.DISCARDED.value})
        if moved is None:
            raise Conflict(f"version {version.id} changed meanwhile", code=ErrorCode.STALE_VERSION)
        await self.repository.log(policy_id=version.policy_id, version_id=version.id, actor=viewer.username,
                                  action="discard", reason=reason)
        return moved

    async def submit(self, viewer: Viewer, version_id: str) -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.DRAFT, "only a draft can be submitted")
        errors = self.engine.validate(version)
        if errors:
            raise ValidationFailed(errors)
        if not version.golden_cases:
            raise ValidationFailed([FieldError("goldenCases", "add at least one golden case",
                                               ErrorCode.NO_GOLDEN_CASES)])
        failed = [r for r in self._run_cases(version) if not r.passed]
        if failed:
            raise ValidationFailed([FieldError(f"goldenCases.{r.id}", f"expected {r.expected}, got "
                                               f"{r.actual}{' — ' + r.error if r.error else ''}",
                                               ErrorCode.GOLDEN_CASE_FAILED) for r in failed])
        return await self._move(viewer, version, VersionStatus.DRAFT, VersionStatus.IN_REVIEW, "submit")

    async def approve(self, viewer: Viewer, version_id: str) -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        if version.author == viewer.username:
            raise PermissionDenied("the author cannot approve their own version", code=ErrorCode.SELF_APPROVAL)
        return await self._move(viewer, version, VersionStatus.IN_REVIEW, VersionStatus.APPROVED, "approve",
                                approver=viewer.username)

    async def activate(self, viewer: Viewer, version_id: str, *, effective_from: date) -> PolicyVersion:
        _author(viewer)
        version = await self.scoped_version(viewer, version_id)
        _require_status(version, VersionStatus.APPROVED, "only an approved version can be activated")
        return await self._switch(viewer, version, effective_from, "activate", reason="")

    async def rollback(self, viewer: Viewer, policy_id: str, *, to_version: str, reason: str) -> PolicyVersion:
        _author(viewer)
        await self.policy(policy_id, viewer)
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "a rollback needs a reason", ErrorCode.REASON_REQUIRED)])
        version = await self.version(to_version)
        if version.policy_id != policy_id or version.status is not VersionStatus.RETIRED:
            raise Conflict(f"{to_version} is not a retired version of {policy_id}", code=ErrorCode.NOT_RETIRED)
        return await self._switch(viewer, version, datetime.now(UTC).date(), "rollback", reason=reason)

    async def _switch(self, viewer: Viewer, version: PolicyVersion, start: date, action: str, *,
                      reason: str) -> PolicyVersion:
        policy = await self.policy(version.policy_id)
        current = await self.version(policy.active_version) if policy.active_version else None
        # A rollback on or before the day the current version takes effect undoes that activation entirely
        # (a scheduled version that was never in force, or one rolled back on its first day).
        same_day_undo = (action == "rollback" and current is not None and bool(current.periods)
                         and current.periods[-1].start >= start)
        if current is not None and current.periods and start <= current.periods[-1].start and not same_day_undo:
            raise ValidationFailed([FieldError(
                "effectiveFrom", f"must be after {current.periods[-1].start}, when {current.id} took effect",
                ErrorCode.OVERLAPPING_PERIOD)])

        async def switch(session: Any) -> PolicyVersion:
            if current is not None:
                periods = current.periods[:-1] if same_day_undo else [
                    *current.periods[:-1], Period(start=current.periods[-1].start, end=start - timedelta(days=1))]
                retired = await self.repository.update_version(
                    current.id, expect_status=VersionStatus.ACTIVE.value,
                    changes={"status": VersionStatus.RETIRED.value,
                             "periods": [p.model_dump(mode="json") for p in periods]}, session=session)
                if retired is None:
                    raise Conflict(f"{current.id} changed meanwhile", code=ErrorCode.STALE_VERSION)
            activated = await self.repository.update_version(
                version.id, expect_status=version.status.value,
                changes={"status": VersionStatus.ACTIVE.value,
                         "periods": [p.model_dump(mode="json") for p in _resumed(version.periods, start)]},
                session=session)
            if activated is None:
                raise Conflict(f"{version.id} changed meanwhile", code=ErrorCode.STALE_VERSION)
            await self.repository.set_active(policy.id, version.id, session=session)
            if policy.kind in STORED_KINDS:
                if action == "rollback":  # a scheduled version undone must not be "refreshed" on its date
                    await self.refreshes.cancel_open(policy.id, session=session)
                await self.refreshes.insert(DecisionRefresh(
                    id=uuid.uuid4().hex, policy_id=policy.id, kind=policy.kind, jurisdiction=policy.jurisdiction,
                    version_id=version.id, effective_from=start, state=RefreshState.SCHEDULED,
                    created_at=datetime.now(UTC), updated_at=datetime.now(UTC)), session=session)
            await self.repository.log(policy_id=policy.id, version_id=version.id, actor=viewer.username,
                                      action=action, reason=reason,
                                      detail={"effective_from": start.isoformat(),
                                              "retired": current.id if current else None}, session=session)
            return activated

        activated = await self.database.transaction(switch)
        self.engine.compile(activated)
        # In force today: the stored decisions it governs are refreshed now (a later date: by the daily job).
        await self.run_due_refreshes(datetime.now(UTC).date())
        return activated

    async def _move(self, viewer: Viewer, version: PolicyVersion, before: VersionStatus, after: VersionStatus,
                    action: str, **changes: Any) -> PolicyVersion:
        _require_status(version, before, f"{action} needs a version in {before.value}")
        moved = await self.repository.update_version(version.id, expect_status=before.value,
                                                     changes={"status": after.value, **changes})
        if moved is None:
            raise Conflict(f"version {version.id} changed meanwhile", code=ErrorCode.STALE_VERSION)
        await self.repository.log(policy_id=version.policy_id, version_id=version.id, actor=viewer.username,
                                  action=action)
        return moved

    # -- over the registry -----------------------------------------------------------------------
    async def simulate(self, viewer: Viewer, version_id: str, *, assume: dict[str, Any] | None = None,
                       day: date | None = None) -> Simulation:
        """Candidate against the active version over the registry; ``assume`` fixes facts for everyone."""
        candidate = await self.scoped_version(viewer, version_id)
        policy = await self.policy(candidate.policy_id)
        if policy.kind in CASE_KINDS:
            raise Conflict(f"{policy.kind} decides on violations, not on the registry: test it with golden cases",
                           code=ErrorCode.NOT_SIMULATABLE, field="versionId")
        extra = assume or {}
        errors = self.engine.check_facts(extra)
        if errors:
            raise ValidationFailed([FieldError(f"assume.{e.field}", e.message, e.code) for e in errors])
        on = day or datetime.now(UTC).date()
        baseline = await self.version(policy.active_version) if policy.active_version else None
        if baseline is None:  # a city's first version is compared with the province's policy it replaces
            fallback = await self.rules_in_force(policy.kind, on, policy.jurisdiction)
            baseline = fallback.version if fallback else None
        result = Simulation(candidate=candidate.id, baseline=baseline.id if baseline else None)
        return await simulation.compare(
            self.database, result, jurisdiction=policy.jurisdiction, candidate=self.engine.compile(candidate),
            baseline=self.engine.compile(baseline) if baseline else None, day=on, assume=extra)

    async def explain(self, viewer: Viewer, *, credit_code: str, policy_id: str, at: date) -> Explanation | None:
        """The decision for one enterprise under the version in force on ``at``, with the rules behind it;
        None when the viewer cannot see the enterprise."""
        found = await simulation.facts_of(self.database, credit_code, at)
        if found is None or not viewer.has_any(ANY_ROLE) or not viewer.covers(found[0]["jurisdiction"]):
            return None
        policy = await self.policy(policy_id, viewer)
        # The policy that applies to this enterprise: its city's own where one is in force, else the province's.
        by_jurisdiction = await self.rules_by_jurisdiction(policy.kind, at)
        applied = applicable(by_jurisdiction, found[0]["jurisdiction"])
        if applied is None:
            raise NotFound(f"no version of {policy_id} was in force on {at.isoformat()}", field="at")
        jurisdiction = next(j for j, rules in by_jurisdiction.items() if rules is applied)
        return simulation.explanation(applied.version, applied.rules, found[1], jurisdiction=jurisdiction)

    async def current_decisions(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        """The current policy decisions of each enterprise, by credit code (a batch read for loaders)."""
        return await self.decisions.current(codes)

    async def redecide(self, query: dict[str, Any], trigger: str, *, day: date | None = None) -> int:
        """Facts of the enterprises matching ``query`` changed: decide them again as of ``day`` (today).

        Returns how many decisions changed. Injected as the ``on_facts_changed`` hook of the
        registry and the events at assembly.
        """
        today = day or datetime.now(UTC).date()
        policies: dict[str, dict[str, RulesInForce]] = {
            kind.value: found for kind in STORED_KINDS if (found := await self.rules_by_jurisdiction(kind, today))}
        return await decisions.redecide(self.database, self.decisions, policies, query=query, trigger=trigger,
                                        day=today)

    async def redecide_all(self, *, trigger: str, day: date | None = None) -> int:
        """Decide every enterprise again (after loading data in bulk)."""
        return await self.redecide(every_enterprise(), trigger, day=day)

    async def redecide_daily(self, day: date) -> dict[str, Any]:
        """Once a day: refresh the decisions of versions whose effective date has come (and finish any refresh
        that stopped), then re-decide everyone once (counted windows move with the day)."""
        refreshed = await self.run_due_refreshes(day)
        if not await self.decisions.claim_day(day):
            return {"refreshed": refreshed, "skipped": f"already re-decided on {day.isoformat()}"}
        return {"refreshed": refreshed,
                "changed": await self.redecide_all(trigger=f"daily:{day.isoformat()}", day=day)}

    async def refresh_of(self, version_id: str) -> DecisionRefresh | None:
        """The latest refresh of the decisions ``version_id`` governs: its state and counts."""
        return await self.refreshes.latest_for(version_id)

    async def run_due_refreshes(self, day: date) -> list[str]:
        """Run (or resume) every open refresh whose version is in force by ``day``; the versions done."""
        done = []
        for job in await self.refreshes.due(day):
            policies = {job.kind: await self.rules_by_jurisdiction(job.kind, day)}
            await decisions.refresh(self.database, self.decisions, self.refreshes, job, policies, day=day)
            done.append(job.version_id)
        return done


def _resumed(periods: list[Period], start: date) -> list[Period]:
    """The periods of a version put in force from ``start``: a period that ended the day before (or
    later, when a scheduled successor is cancelled) simply continues, so there is no gap or overlap."""
    if periods and periods[-1].end is not None and periods[-1].end >= start - timedelta(days=1) \
            and periods[-1].start <= start:
        return [*periods[:-1], Period(start=periods[-1].start)]
    return [*periods, Period(start=start)]


def _author(viewer: Viewer) -> None:
    if not viewer.has_any(AUTHORS):
        raise PermissionDenied("only rule authors edit policies")


def _require_status(version: PolicyVersion, status: VersionStatus, message: str) -> None:
    if version.status is not status:
        raise Conflict(f"{version.id} is {version.status.value}: {message}", code=ErrorCode.WRONG_STATUS)
