"""Input types shared by createPlan and updatePlan, and their mapping to domain data."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry


@strawberry.input
class StratumRatioInput:
    stratum: str = strawberry.field(description="special, key or general")
    ratio: float


@strawberry.input
class TierWeightInput:
    tier: str = strawberry.field(description="green, blue, yellow, red or unrated")
    weight: float


@strawberry.input
class PlanFieldsInput:
    name: str | None = strawberry.UNSET
    jurisdiction: str | None = strawberry.UNSET
    matters: list[str] | None = strawberry.UNSET
    period_start: date | None = strawberry.UNSET
    period_end: date | None = strawberry.UNSET
    industry_codes: list[str] | None = strawberry.UNSET
    ratios: list[StratumRatioInput] | None = strawberry.UNSET
    tier_weights: list[TierWeightInput] | None = strawberry.UNSET
    positive_list_factor: float | None = strawberry.UNSET
    cycle_boost: float | None = strawberry.UNSET
    exclude_inspected_within_days: int | None = strawberry.UNSET
    yearly_visit_cap: int | None = strawberry.UNSET
    team_size: int | None = strawberry.UNSET
    max_tasks_per_inspector: int | None = strawberry.UNSET
    ratio_source: str | None = strawberry.field(
        default=strawberry.UNSET, description="plan (default) or policy: class, ratio and weight from the policies")


def plan_fields(data: PlanFieldsInput) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("name", "jurisdiction", "matters", "period_start", "period_end", "industry_codes",
                 "positive_list_factor", "cycle_boost", "exclude_inspected_within_days", "yearly_visit_cap",
                 "team_size", "max_tasks_per_inspector", "ratio_source"):
        value = getattr(data, name)
        if value is not strawberry.UNSET and value is not None:
            fields[name] = value
    if data.ratios:
        fields["ratios"] = {r.stratum: r.ratio for r in data.ratios}
    if data.tier_weights:
        fields["tier_weights"] = {w.tier: w.weight for w in data.tier_weights}
    return fields
