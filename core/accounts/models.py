"""Accounts and the viewer (the authenticated principal of a request)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.reference import tables


class Role(StrEnum):
    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    RULE_AUTHOR = "rule_author"
    LEGAL_REVIEWER = "legal_reviewer"  # 法制审核: reviews major penalty decisions
    ADMIN = "admin"


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str = Field(min_length=3, max_length=40, pattern=r"^[a-z0-9_.-]+$")
    password_hash: str
    roles: list[Role] = Field(min_length=1)
    jurisdictions: list[str] = Field(min_length=1)
    inspector_id: str | None = None
    display_name: str = ""
    disabled: bool = False
    # Embedded in every token; replaced when the account is disabled, re-created or given a new
    # password, which revokes the tokens issued before. "" for accounts stored before it existed.
    token_generation: str = ""
    created_at: datetime


@dataclass(frozen=True)
class Viewer:
    """Who is asking. ``ANONYMOUS`` sees published data only."""

    username: str | None
    roles: frozenset[Role]
    jurisdictions: tuple[str, ...]
    inspector_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.username is not None

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)

    def covers(self, jurisdiction: str) -> bool:
        """Whether ``jurisdiction`` lies inside one of the viewer's jurisdictions."""
        return any(tables.is_within(jurisdiction, scope) for scope in self.jurisdictions)


ANONYMOUS = Viewer(username=None, roles=frozenset(), jurisdictions=())
