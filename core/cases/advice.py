"""Penalty discretion advice for any signed-in user: the recommended fine for one violation (DOMAIN rule 25)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import ANY_ROLE
from core.errors import PermissionDenied

# The penalty-discretion policy in force applied to one violation's facts on a day; the engine is in rules/
# (rules/penalties.py ``recommend``), injected at assembly.
Recommender = Callable[[dict[str, Any], date], Awaitable[Any]]


class PenaltyAdvice:
    def __init__(self, recommend: Recommender) -> None:
        self._recommend = recommend

    async def recommend(self, viewer: Viewer, facts: dict[str, Any], day: date) -> Any:
        """The recommendation (level, amount inside the statutory range, the rules applied); a person confirms it."""
        if not viewer.has_any(ANY_ROLE):
            raise PermissionDenied("sign in to ask for a penalty recommendation")
        return await self._recommend(facts, day)
