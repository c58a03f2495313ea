"""Thin GraphQL types for registry records; each maps a domain record with ``from_domain``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from typing import overload

import strawberry

from api.events.types import EnterpriseEvent
from api.graphql.relay import Node, PageInfo, to_global_id
from core.registry import models


@strawberry.enum
class CreditTier(Enum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


@strawberry.enum
class PerformanceGrade(Enum):
    A_PLUS = "A+"
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    NONE = "none"


@strawberry.enum
class EmergencyRisk(Enum):
    GENERAL = "general"
    LARGER = "larger"
    MAJOR = "major"


@strawberry.enum
class InspectionMethod(Enum):
    ON_SITE = "on_site"
    DOCUMENTARY = "documentary"
    REMOTE = "remote"


@strawberry.type
class GeoPoint:
    lat: float
    lon: float
    accuracy_m: float | None = None


@strawberry.type
class Period:
    valid_from: date
    valid_to: date


@strawberry.type
class Permit:
    number: str
    validity: Period | None


@strawberry.type
class CreditRating:
    tier: CreditTier
    rated_on: date | None
    published: bool


@strawberry.type
class Performance:
    grade: PerformanceGrade
    leading: bool


@strawberry.type
class GuaranteeStatus:
    approved_by: str
    validity: Period


@overload
def _period(value: models.Period) -> Period: ...


@overload
def _period(value: models.Period | None) -> Period | None: ...


def _period(value: models.Period | None) -> Period | None:
    return Period(valid_from=value.valid_from, valid_to=value.valid_to) if value else None


@strawberry.type(description="One change of an enterprise record: who, when, what (old → new).")
class EnterpriseChange:
    version: int
    at: datetime
    actor: str
    source: str
    changes: strawberry.scalars.JSON = strawberry.field(description="field → [old, new]")


@strawberry.type(description="A policy's current decision for an enterprise, with the rules behind it.")
class PolicyDecision:
    kind: str
    outputs: strawberry.scalars.JSON
    version: str
    rules: list[str]
    rationale: list[str]
    decided_at: datetime


@strawberry.type
class Enterprise(Node):
    credit_code: str
    name: str
    jurisdiction: str
    industry_code: str
    address: str
    location: GeoPoint | None
    boundary: strawberry.scalars.JSON | None = strawberry.field(description="GeoJSON polygon of the site")
    key_discharger: bool
    permit: Permit | None
    online_monitoring: bool
    credit: CreditRating | None
    performance: Performance
    guarantee: GuaranteeStatus | None
    emergency_risk: EmergencyRisk | None
    positive_list: Period | None
    version: int
    updated_at: datetime

    @strawberry.field(description="Changes to this record, newest first (creation is version 1).")
    async def history(self, info: strawberry.Info) -> list[EnterpriseChange]:
        entries = await info.context.history_by_code.load(self.credit_code)
        return [EnterpriseChange(version=e["version"], at=e["at"], actor=e["actor"], source=e["source"],
                                 changes=e["changes"]) for e in entries]

    @strawberry.field(description="Current supervision class and positive-list decisions, with their reasons.")
    async def decisions(self, info: strawberry.Info) -> list[PolicyDecision]:
        found = await info.context.decisions_by_code.load(self.credit_code)
        return [PolicyDecision(kind=kind, outputs=d["outputs"], version=d["version"], rules=d["rules"],
                               rationale=d["rationale"], decided_at=d["at"]) for kind, d in sorted(found.items())]

    @strawberry.field(description="The newest 50 events (penalties, cases, complaints, …), newest first.")
    async def events(self, info: strawberry.Info) -> list[EnterpriseEvent]:
        found = await info.context.events_by_code.load(self.credit_code)
        return [EnterpriseEvent.from_domain(e) for e in found]

    @classmethod
    def from_domain(cls, e: models.Enterprise) -> Enterprise:
        return cls(
            id=to_global_id("Enterprise", e.credit_code), credit_code=e.credit_code, name=e.name,
            jurisdiction=e.jurisdiction, industry_code=e.industry_code, address=e.address,
            location=GeoPoint(lat=e.location.lat, lon=e.location.lon) if e.location else None,
            boundary=strawberry.scalars.JSON(e.boundary.geojson()) if e.boundary else None,
            key_discharger=e.key_discharger,
            permit=Permit(number=e.permit.number, validity=_period(e.permit.validity)) if e.permit else None,
            online_monitoring=e.online_monitoring,
            credit=CreditRating(tier=CreditTier(e.credit.tier.value), rated_on=e.credit.rated_on,
                                published=e.credit.published) if e.credit else None,
            performance=Performance(grade=PerformanceGrade(e.performance.grade.value),
                                    leading=e.performance.leading),
            guarantee=GuaranteeStatus(approved_by=e.guarantee.approved_by,
                                      validity=_period(e.guarantee.validity))
            if e.guarantee else None,
            emergency_risk=EmergencyRisk(e.emergency_risk.value) if e.emergency_risk else None,
            positive_list=_period(e.positive_list), version=e.version, updated_at=e.updated_at,
        )


@strawberry.type
class Inspector(Node):
    staff_id: str
    name: str
    certificate_number: str
    certificate_expires: date
    on_post: bool
    jurisdictions: list[str]
    conflicts: list[str] = strawberry.field(description="Credit codes of enterprises with a declared conflict")
    version: int = strawberry.field(description="Send it back with an edit (optimistic concurrency)")

    @classmethod
    def from_domain(cls, i: models.Inspector) -> Inspector:
        return cls(id=to_global_id("Inspector", i.staff_id), staff_id=i.staff_id, name=i.name,
                   certificate_number=i.certificate_number, certificate_expires=i.certificate_expires,
                   on_post=i.on_post, jurisdictions=i.jurisdictions, conflicts=i.conflicts, version=i.version)


@strawberry.type
class Matter(Node):
    code: str
    name: str
    object_scope: str
    method: InspectionMethod
    legal_basis: str
    default_ratio: float
    frequency: str
    key_item: bool

    @classmethod
    def from_domain(cls, m: models.Matter) -> Matter:
        return cls(id=to_global_id("Matter", m.code), code=m.code, name=m.name, object_scope=m.object_scope,
                   method=InspectionMethod(m.method.value), legal_basis=m.legal_basis,
                   default_ratio=m.default_ratio, frequency=m.frequency.value, key_item=m.key_item)


@strawberry.type
class EnterpriseEdge:
    cursor: str
    node: Enterprise


@strawberry.type
class EnterpriseConnection:
    edges: list[EnterpriseEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many enterprises match the filter in the viewer's scope (every page)")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class InspectorEdge:
    cursor: str
    node: Inspector


@strawberry.type
class InspectorConnection:
    edges: list[InspectorEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many inspectors there are in the viewer's scope (every page)")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.input
class EnterpriseFilter:
    jurisdiction: str | None = None
    industry_code: str | None = None
    credit_tier: CreditTier | None = None
    key_discharger: bool | None = None
    name_contains: str | None = strawberry.field(default=None, description="Part of the name, any case")
    credit_code_prefix: str | None = strawberry.field(default=None, description="The first characters of the "
                                                                                 "credit code")
