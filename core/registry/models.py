"""Registry records: enterprises, inspectors, matters. Pure data with validation, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.reference import tables
from core.registry import credit_code


class CreditTier(StrEnum):
    GREEN = "green"  # 环保诚信
    BLUE = "blue"  # 环保良好
    YELLOW = "yellow"  # 环保警示
    RED = "red"  # 环保不良


class PerformanceGrade(StrEnum):
    A_PLUS = "A+"
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    NONE = "none"


class EmergencyRisk(StrEnum):
    GENERAL = "general"  # 一般
    LARGER = "larger"  # 较大
    MAJOR = "major"  # 重大


class InspectionMethod(StrEnum):
    ON_SITE = "on_site"
    DOCUMENTARY = "documentary"
    REMOTE = "remote"


class Frequency(StrEnum):
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    TWICE_YEARLY = "twice_yearly"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class GeoPoint(_Record):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)

    def geojson(self) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [self.lon, self.lat]}


class Polygon(_Record):
    """A GeoJSON polygon: rings of [lon, lat] positions, each ring closed."""

    coordinates: list[list[tuple[float, float]]]

    @field_validator("coordinates")
    @classmethod
    def _closed_rings(cls, rings: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
        if not rings:
            raise ValueError("a polygon needs at least one ring")
        for ring in rings:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError("each ring needs 4 or more positions and must be closed")
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError("position out of range")
        return rings

    def geojson(self) -> dict[str, Any]:
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in self.coordinates]}


class Period(_Record):
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


class Permit(_Record):
    number: str = Field(min_length=1, max_length=64)
    validity: Period | None = None


class CreditRating(_Record):
    tier: CreditTier
    rated_on: date | None = None
    published: bool = True


class Performance(_Record):
    grade: PerformanceGrade = PerformanceGrade.NONE
    leading: bool = False


class GuaranteeStatus(_Record):
    """保障类企业 status; exempts from mandated halts only while approved and valid."""

    approved_by: str = Field(min_length=1, max_length=100)
    validity: Period


class EnterpriseData(_Record):
    """The editable content of an enterprise (检查对象)."""

    credit_code: str
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str
    industry_code: str
    address: str = Field(default="", max_length=300)
    location: GeoPoint | None = None
    boundary: Polygon | None = None
    key_discharger: bool = False
    permit: Permit | None = None
    online_monitoring: bool = False
    credit: CreditRating | None = None
    performance: Performance = Performance()
    guarantee: GuaranteeStatus | None = None
    emergency_risk: EmergencyRisk | None = None
    positive_list: Period | None = None

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        value = value.upper()
        reason = credit_code.problem(value)
        if reason:
            raise ValueError(f"invalid credit code {value}: {reason}")
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _known_jurisdiction(cls, value: str) -> str:
        if value not in tables.divisions():
            raise ValueError(f"unknown jurisdiction code {value}")
        return value

    @field_validator("industry_code")
    @classmethod
    def _known_industry(cls, value: str) -> str:
        if value not in tables.industries():
            raise ValueError(f"unknown industry code {value}")
        return value


class Enterprise(EnterpriseData):
    version: int = 1
    seq: int = 0
    created_at: datetime
    updated_at: datetime

    def data(self) -> EnterpriseData:
        return EnterpriseData(**self.model_dump(include=set(EnterpriseData.model_fields)))


@dataclass(frozen=True)
class EnterpriseFilter:
    """What a registry listing asks for beyond the viewer's scope (None: any)."""

    jurisdiction: str | None = None
    industry_code: str | None = None
    credit_tier: CreditTier | None = None
    key_discharger: bool | None = None
    name_contains: str | None = None  # case-insensitive, anywhere in the name
    credit_code_prefix: str | None = None


class InspectorData(_Record):
    """执法人员: only certified, on-post staff can be drawn (DOMAIN rule 3)."""

    staff_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    certificate_number: str = Field(min_length=1, max_length=64)
    certificate_expires: date
    on_post: bool = True
    jurisdictions: list[str] = Field(min_length=1)
    conflicts: list[str] = Field(default_factory=list)

    @field_validator("jurisdictions")
    @classmethod
    def _known_jurisdictions(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in tables.divisions()]
        if unknown:
            raise ValueError(f"unknown jurisdiction code {', '.join(unknown)}")
        return sorted(set(values))

    @field_validator("conflicts")
    @classmethod
    def _valid_conflicts(cls, values: list[str]) -> list[str]:
        values = [v.upper() for v in values]
        bad = [v for v in values if credit_code.problem(v)]
        if bad:
            raise ValueError(f"invalid credit code in conflicts: {', '.join(bad)}")
        return sorted(set(values))

    def certified_on(self, day: date) -> bool:
        return self.on_post and self.certificate_expires >= day


class Inspector(InspectorData):
    version: int = 1
    seq: int = 0
    created_at: datetime
    updated_at: datetime


class Matter(_Record):
    """抽查事项: one line of the random-check item list."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    object_scope: str = Field(min_length=1, max_length=200)
    method: InspectionMethod
    legal_basis: str = Field(min_length=1, max_length=500)
    default_ratio: float = Field(ge=0, le=1)
    frequency: Frequency
    key_item: bool = False
