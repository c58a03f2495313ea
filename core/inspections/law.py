"""A plan's legal bounds from the sampling_ratio policy in force: minimum ratios, what the visit cap counts, the cycle.

The numbers are the policy's parameters (``core/policies/parameters.py``): a version that does not
set one (or no version at all) gets the declared default, so the law's floor is never absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed
from core.policies import parameters
from core.policies.kinds import PolicyKind
from core.policies.models import SupervisionClass
from core.policies.repository import PolicyRepository
from core.reference import tables


@dataclass(frozen=True)
class DrawLaw:
    minimum_ratios: dict[str, float]  # supervision class → smallest ratio a plan may draw
    count_targeted_visits: bool  # whether targeted inspections count towards the yearly visit cap
    cycle_years: int  # the coverage report's cycle, in calendar years from 1 January
    version: str | None  # the sampling_ratio version they come from (None: the declared defaults)


async def in_force(database: Database, day: date) -> DrawLaw:
    """The bounds of the province-wide sampling_ratio policy in force on ``day``."""
    version = None
    for candidate in reversed(await PolicyRepository(database).versions(
            f"{PolicyKind.SAMPLING_RATIO}:{tables.root_code()}")):
        if candidate.in_force_on(day):
            version = candidate
            break
    found = parameters.values(PolicyKind.SAMPLING_RATIO, version.content if version else None)
    return DrawLaw(minimum_ratios={c.value: float(found[f"minimum_ratio_{c.value}"]) for c in SupervisionClass},
                   count_targeted_visits=bool(found["visit_cap_counts_targeted"]),
                   cycle_years=int(found["cycle_years"]), version=version.id if version else None)


def class_of(stratum: str) -> str:
    """The supervision class of a stratum: ``key`` for a plan's own ratios, ``key@0.25`` for a policy's."""
    return stratum.split("@", 1)[0]


def check_minimums(ratios: Mapping[str, float], law: DrawLaw, *, field: str = "ratios") -> None:
    """Refuse ratios below the law's minimum for their class (``BELOW_MINIMUM_RATIO``), naming each."""
    errors = [FieldError(f"{field}.{stratum}",
                         f"ratio {ratio:g} for {stratum} is below the minimum {law.minimum_ratios[cls]:g} of the "
                         f"{class_of(stratum)} class ({_origin(law)})", ErrorCode.BELOW_MINIMUM_RATIO)
              for stratum, ratio in sorted(ratios.items())
              if (cls := class_of(stratum)) in law.minimum_ratios and ratio < law.minimum_ratios[cls]]
    if errors:
        raise ValidationFailed(errors)


def _origin(law: DrawLaw) -> str:
    return f"policy version {law.version}" if law.version else "the default of the sampling_ratio policy"
