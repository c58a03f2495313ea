"""Supervisors' report of decisions not published in time (一公开), read from the real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases_support import BAOJI_CHIEF, CHIEF, OFFICER, Flow, ago, days, registry, service

from core.cases.models import StepKind
from core.cases.public import PublicCaseReader
from core.cases.repository import CaseRepository
from core.cases.settings import CaseRules
from core.db import Database
from core.errors import PermissionDenied


async def test_overdue_publications(database: Database, tmp_path: Path) -> None:
    code = await registry(database, tmp_path)
    cases = service(database)
    published = Flow(cases, code)
    first = await published.decided()
    await published.step(CHIEF, StepKind.PUBLISH, published_on=ago(85))
    late = Flow(cases, code)
    late_case = await late.decided()  # decided 90 days ago, never published
    spared = Flow(cases, code)
    await spared.filed()
    await spared.step(OFFICER, StepKind.REVIEW, outcome="no_penalty", reviewed_on=ago(102), facts="轻微并已改正",
                      no_penalty_reason="minor_corrected_harmless")
    await spared.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))  # 不予处罚: nothing to publish

    # Only the case with an unpublished penalty decision is read at all.
    assert [c.id for c in await CaseRepository(database).unpublished(None)] == [late.case_id]

    reader = PublicCaseReader(database, CaseRules(publication_working_days=7))
    [overdue] = await reader.overdue(CHIEF, today=days(ago(1)))
    assert (overdue.case_id, overdue.decision_id, overdue.case_number) == (late.case_id, "main", late_case.number)
    assert (overdue.decided_on, overdue.due_on, overdue.days_overdue) == (days(ago(90)), days(ago(83)), 82)
    assert await reader.overdue(CHIEF, today=days(ago(83))) == []  # due that day: not overdue yet
    assert await reader.overdue(BAOJI_CHIEF, today=days(ago(1))) == []  # another jurisdiction's
    with pytest.raises(PermissionDenied):
        await reader.overdue(OFFICER, today=days(ago(1)))

    # Published later, it leaves the report; the public feed shows it.
    await late.step(CHIEF, StepKind.PUBLISH, published_on=ago(1))
    assert await reader.overdue(CHIEF, today=days(ago(1))) == []
    assert [d.decision_number for d in await reader.decisions()] == [late_case.number, first.number]
