"""Thin GraphQL types for plans, draws and tasks."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.fieldwork import loaders
from api.fieldwork import types as field_types
from api.graphql.relay import Node, to_global_id
from api.registry import types as registry_types
from core.accounts.roles import SUPERVISORS
from core.fieldwork.checklists import TARGETED_MATTERS
from core.inspections import models, publication


@strawberry.enum
class PlanStatus(Enum):
    DRAFT = "draft"
    FROZEN = "frozen"
    DRAWN = "drawn"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@strawberry.enum
class TaskStatus(Enum):
    ASSIGNED = "assigned"
    UNSTAFFED = "unstaffed"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CLOSED = "closed"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


@strawberry.type
class StratumRatio:
    stratum: str
    ratio: float


@strawberry.type
class TierWeight:
    tier: str
    weight: float


@strawberry.type(description="A stratum of a frozen population: its size and the number to draw.")
class Stratum:
    name: str
    size: int
    quota: int


@strawberry.type(description="Protocol v2: the public value a draw or a replacement will use, announced before it "
                             "exists (docs/draw-spec.md §1).")
class Announcement:
    source: str
    draw_number: str | None = strawberry.field(description="The source's issue (期号), when given at freeze")
    event_date: date
    event_at: datetime
    pattern: str = strawberry.field(description="The canonical format: the whole value must match this pattern")
    earliest_draw: datetime = strawberry.field(description="The value may be entered from this time on")

    @classmethod
    def from_record(cls, a: dict[str, Any] | None) -> Announcement | None:
        if not a:
            return None
        return cls(source=a["source"], draw_number=a.get("draw_number"), event_date=date.fromisoformat(a["event_date"]),
                   event_at=datetime.fromisoformat(a["event_at"]), pattern=a["pattern"],
                   earliest_draw=datetime.fromisoformat(a["earliest_draw"]))


@strawberry.type
class Plan(Node):
    plan_id: str
    name: str
    jurisdiction: str
    matters: list[str]
    period_start: date
    period_end: date
    industry_codes: list[str]
    status: PlanStatus
    version: int
    ratios: list[StratumRatio]
    tier_weights: list[TierWeight]
    positive_list_factor: float
    cycle_boost: float
    exclude_inspected_within_days: int
    yearly_visit_cap: int
    team_size: int
    max_tasks_per_inspector: int
    ratio_source: str
    commitment: str | None = strawberry.field(
        description="Published at freeze: protocol 2, SHA-256 of the canonical commitment document; protocol 1, "
                    "SHA-256 of the draw secret")
    population_hash: str | None
    population_size: int | None
    strata: list[Stratum]
    excluded: strawberry.scalars.JSON | None
    frozen_at: datetime | None
    published_at: datetime | None
    draw_id: str | None
    cancelled_at: datetime | None = strawberry.field(description="When the plan was cancelled (public)")
    cancellation_reason: str | None = strawberry.field(description="Why the plan was cancelled (public)")
    protocol: int = strawberry.field(description="The draw protocol the plan was frozen under (2 since it runs)")
    announcement: Announcement | None = strawberry.field(description="Protocol 2: the announced public value")
    inspection_date: date | None = strawberry.field(description="Protocol 2: committed at freeze")
    commitment_document_url: str | None = strawberry.field(
        description="Protocol 2: the commitment document (population with flags, weights and π; exclusions; pool)")

    @classmethod
    def from_domain(cls, p: models.Plan) -> Plan:
        sizes, quotas = p.stratum_sizes or {}, p.quotas or {}
        return cls(
            id=to_global_id("Plan", p.id), plan_id=p.id, name=p.name, jurisdiction=p.jurisdiction,
            matters=p.matters, period_start=p.period_start, period_end=p.period_end,
            industry_codes=p.industry_codes, status=PlanStatus(p.status.value), version=p.version,
            ratios=[StratumRatio(stratum=k.value, ratio=v) for k, v in sorted(p.ratios.items())],
            tier_weights=[TierWeight(tier=k, weight=v) for k, v in sorted(p.tier_weights.items())],
            positive_list_factor=p.positive_list_factor, cycle_boost=p.cycle_boost,
            exclude_inspected_within_days=p.exclude_inspected_within_days, yearly_visit_cap=p.yearly_visit_cap,
            team_size=p.team_size, max_tasks_per_inspector=p.max_tasks_per_inspector, ratio_source=p.ratio_source,
            commitment=p.commitment,
            population_hash=p.population_hash, population_size=p.population_size,
            strata=[Stratum(name=k, size=v, quota=quotas.get(k, 0)) for k, v in sorted(sizes.items())],
            excluded=JSON(p.excluded) if p.excluded is not None else None,
            frozen_at=p.frozen_at, published_at=p.published_at, draw_id=p.draw_id,
            cancelled_at=p.cancelled_at, cancellation_reason=p.cancellation_reason, protocol=p.protocol,
            announcement=Announcement.from_record(p.announcement), inspection_date=p.inspection_date,
            commitment_document_url=publication.commitment_url(p.id) if p.protocol >= 2 and p.commitment else None,
        )


@strawberry.type
class UnstaffedTask:
    credit_code: str
    reason: str


@strawberry.type
class Draw(Node):
    draw_id: str
    plan_id: str
    kind: str
    reason: str | None
    object_algorithm: str
    inspector_algorithm: str
    commitment: str
    secret: str = strawberry.field(description="Revealed at the draw; SHA-256(secret) = commitment")
    public_value: str
    seed: str
    population_hash: str
    drawn_count: int
    staffed_count: int
    unstaffed: list[UnstaffedTask]
    inspection_date: date
    team_size: int
    created_at: datetime
    published: bool
    document_url: str = strawberry.field(description="The draw document that `ecoinspect verify-draw` checks")

    @classmethod
    def from_domain(cls, d: models.Draw) -> Draw:
        return cls(id=to_global_id("Draw", d.id),
                   draw_id=d.id, plan_id=d.plan_id, kind=d.kind, reason=d.reason, object_algorithm=d.object_algorithm,
                   inspector_algorithm=d.inspector_algorithm, commitment=d.commitment, secret=d.secret,
                   public_value=d.public_value, seed=d.seed, population_hash=d.population_hash,
                   drawn_count=d.drawn_count, staffed_count=d.staffed_count,
                   unstaffed=[UnstaffedTask(credit_code=k, reason=v) for k, v in sorted(d.unstaffed.items())],
                   inspection_date=d.inspection_date, team_size=d.team_size, created_at=d.created_at,
                   published=d.published, document_url=publication.document_url(d.id))


@strawberry.enum
class Outcome(Enum):
    NO_VIOLATION = "no_violation"
    VIOLATION_FOUND = "violation_found"
    RECTIFICATION_ORDERED = "rectification_ordered"
    NOT_INSPECTED = "not_inspected"


@strawberry.type
class TaskResult:
    outcome: Outcome
    summary: str
    completed_on: date
    recorded_by: str
    publication_due: date = strawberry.field(description="Completion + the configured working days")

    @classmethod
    def from_domain(cls, r: models.TaskResult | None) -> TaskResult | None:
        if r is None:
            return None
        return cls(outcome=Outcome(r.outcome.value), summary=r.summary, completed_on=r.completed_on,
                   recorded_by=r.recorded_by, publication_due=r.publication_due)


@strawberry.type(description="A published result (一公开) of a random check.")
class PublishedResult:
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    outcome: Outcome
    summary: str
    completed_on: date
    published_at: datetime

    @classmethod
    def from_domain(cls, t: models.Task) -> PublishedResult:
        assert t.result is not None
        assert t.result_published_at is not None
        return cls(credit_code=t.credit_code, enterprise_name=t.enterprise_name, jurisdiction=t.jurisdiction,
                   outcome=Outcome(t.result.outcome.value), summary=t.result.summary,
                   completed_on=t.result.completed_on, published_at=t.result_published_at)


@strawberry.type(description="Publication coverage of one jurisdiction's random checks in a year (target 100%).")
class PublicationCoverage:
    jurisdiction: str
    completed: int
    published: int
    overdue: int
    ratio: float


@strawberry.type
class Task(Node):
    task_id: str
    plan_id: str | None = strawberry.field(description="None for a targeted (non-random) task")
    draw_id: str = strawberry.field(description="The draw, or a targeted task's origin such as alert:<id>")
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    stratum: str
    inspectors: list[str]
    lead: str | None
    status: TaskStatus
    kind: str = strawberry.field(description="random, or a targeted kind such as alert_verification")
    target: JSON | None = strawberry.field(description="Why a targeted task exists (the measure to verify, …)")
    unstaffed_reason: str | None
    removed_inspectors: list[str]
    redraws: list[str] = strawberry.field(description="Ids of the replacement draws that changed this task")
    result: TaskResult | None
    result_published_at: datetime | None
    version: int
    created_at: datetime

    @strawberry.field(description="Dossier: the enterprise with its permits, credit, grade, decisions and events.")
    async def enterprise(self, info: strawberry.Info) -> registry_types.Enterprise | None:
        found = await info.context.enterprise_by_code.load(self.credit_code)
        return registry_types.Enterprise.from_domain(found) if found else None

    @strawberry.field(description="Dossier: heavy-pollution measures in force now for the enterprise.")
    async def alert_measures(self, info: strawberry.Info) -> JSON:
        rows = await loaders.measures_by_code(info.context).load(self.credit_code)
        return _plain([{"alertId": r["alert_id"], "level": r["level"], "measure": r["measure"],
                        "reductionPct": r["reduction_pct"], "rules": r["rules"]} for r in rows])

    @strawberry.field(description="Dossier: the enterprise's latest inspections with a recorded result.")
    async def past_inspections(self, info: strawberry.Info) -> list[Task]:
        found = await loaders.results_by_code(info.context).load(self.credit_code)
        return [Task.from_domain(t) for t in found if t.id != self.task_id]

    @strawberry.field(description="Dossier: the latest checklist of the plan's matter, or of the task's kind for a "
                                  "targeted task (TGT-POWER, TGT-ALERT, TGT-COMPLAINT, TGT-HOTSPOT).")
    async def checklist(self, info: strawberry.Info) -> field_types.Checklist | None:
        if self.plan_id:
            found = await loaders.checklist_by_plan(info.context).load(self.plan_id)
        elif self.kind in TARGETED_MATTERS:
            found = await loaders.checklist_by_matter(info.context).load(TARGETED_MATTERS[self.kind])
        else:
            return None
        return field_types.Checklist.from_domain(found) if found else None

    @strawberry.field(description="The current on-site inspection (its inspectors and covering supervisors).")
    async def inspection(self, info: strawberry.Info) -> field_types.Inspection | None:
        viewer = info.context.viewer
        own = viewer.inspector_id is not None and viewer.inspector_id in self.inspectors
        oversees = viewer.has_any(SUPERVISORS) and viewer.covers(self.jurisdiction)
        if not (own or oversees):
            return None
        found = await loaders.inspection_by_task(info.context).load(self.task_id)
        return field_types.Inspection.from_document(found) if found else None

    @classmethod
    def from_domain(cls, t: models.Task) -> Task:
        return cls(id=to_global_id("Task", t.id), task_id=t.id, plan_id=t.plan_id, draw_id=t.draw_id,
                   credit_code=t.credit_code, enterprise_name=t.enterprise_name, jurisdiction=t.jurisdiction,
                   stratum=t.stratum, inspectors=t.inspectors, lead=t.lead, status=TaskStatus(t.status.value),
                   kind=t.kind, target=_plain(t.target), unstaffed_reason=t.unstaffed_reason,
                   removed_inspectors=t.removed_inspectors,
                   redraws=t.redraws, result=TaskResult.from_domain(t.result),
                   result_published_at=t.result_published_at, version=t.version, created_at=t.created_at)


@strawberry.type(description="A drawn object as published (一公开): no inspector names before inspection.")
class PublishedObject:
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    stratum: str
    status: str = strawberry.field(description="drawn, replaced, or cancelled (with its plan)")
    drawn_in: int = strawberry.field(description="0: drawn by the plan's draw; n: by replacement n")
    replaces: str | None = strawberry.field(description="The object replacement drawnIn replaced")
    replaced_by: str | None = strawberry.field(description="The object drawn in its place")
    replaced_in: int | None = strawberry.field(description="The number of the replacement that replaced it")

    @classmethod
    def from_public(cls, o: publication.PublicObject) -> PublishedObject:
        return cls(credit_code=o.credit_code, enterprise_name=o.enterprise_name, jurisdiction=o.jurisdiction,
                   stratum=o.stratum, status=o.status, drawn_in=o.drawn_in, replaces=o.replaces,
                   replaced_by=o.replaced_by, replaced_in=o.replaced_in)


@strawberry.type
class PublishedObjectRef:
    credit_code: str
    enterprise_name: str


@strawberry.type(description="A replacement (redraw) as published with its original: who the inspectors are is "
                             "in the draw document only.")
class PublishedReplacement:
    number: int = strawberry.field(description="Numbered by the server in sequence, from 1 per plan")
    kind: str = strawberry.field(description="object or inspector")
    reason: str
    created_at: datetime
    object: PublishedObjectRef = strawberry.field(
        description="The object whose task the replacement changed (kind object: the one replaced)")
    replacement: PublishedObjectRef | None = strawberry.field(description="kind object: the object drawn instead")
    inspectors_replaced: int = strawberry.field(description="kind inspector: how many members were drawn anew")
    status: str = strawberry.field(description="filed (waiting for its announced public value) or completed")
    announcement: Announcement | None = strawberry.field(description="Protocol 2: announced when it was filed")
    public_value: str | None = strawberry.field(description="Protocol 2: the announced value, once completed")

    @classmethod
    def from_public(cls, r: publication.PublicReplacement) -> PublishedReplacement:
        def ref(found: publication.ObjectRef | None) -> PublishedObjectRef | None:
            return PublishedObjectRef(credit_code=found.credit_code,
                                      enterprise_name=found.enterprise_name) if found else None

        obj = ref(r.object)
        assert obj is not None
        return cls(number=r.number, kind=r.kind, reason=r.reason, created_at=r.created_at, object=obj,
                   replacement=ref(r.replacement), inspectors_replaced=r.inspectors_replaced, status=r.status,
                   announcement=Announcement.from_record(dict(r.announcement) if r.announcement else None),
                   public_value=r.public_value)


@strawberry.type
class PublishedDraw:
    draw: Draw
    objects: list[PublishedObject] = strawberry.field(
        description="Every object drawn for the plan, by the draw or a replacement, in credit-code order")
    replacements: list[PublishedReplacement]

    @classmethod
    def from_public(cls, record: publication.PublicDraw) -> PublishedDraw:
        return cls(draw=Draw.from_domain(record.draw),
                   objects=[PublishedObject.from_public(o) for o in record.objects],
                   replacements=[PublishedReplacement.from_public(r) for r in record.replacements])


def _plain(value: Any) -> Any:
    """JSON-safe copy (dates as ISO strings)."""
    return json.loads(json.dumps(value, default=str)) if value is not None else None
