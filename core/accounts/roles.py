"""Named role sets: the one place the permission table and the services take "who may" from."""

from __future__ import annotations

from core.accounts.models import Role

PUBLIC: frozenset[Role] = frozenset()  # no sign-in needed
ANY_ROLE = frozenset(Role)  # any signed-in account
FIELD_STAFF = frozenset({Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN})  # everyone except rule authors
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})  # what the CLI, the scheduler and the demo loader act as
AUTHORS = frozenset({Role.RULE_AUTHOR, Role.ADMIN})
POLICY_READERS = frozenset({Role.RULE_AUTHOR, Role.SUPERVISOR, Role.ADMIN})
CASE_STAFF = frozenset({Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN})  # open cases and record their steps
CASE_READERS = frozenset({Role.INSPECTOR, Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.ADMIN})
LEGAL_REVIEWERS = frozenset({Role.LEGAL_REVIEWER})  # 法制审核: never the handling officers
