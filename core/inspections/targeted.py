"""Targeted (non-random) tasks: made for a reason — an alert measure, an anomaly, a complaint, a hotspot cell.

They are kept apart from double-random tasks: no plan, their own kind, and ``draw_id`` naming their
origin, which with the enterprise is unique (one task per enterprise per origin).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from core.inspections.models import Task, TaskStatus

AWAITING = "awaiting assignment by a supervisor"


def targeted_task(*, kind: str, origin: str, credit_code: str, name: str, jurisdiction: str,
                  target: dict[str, Any]) -> Task:
    return Task(id=str(uuid.uuid4()), plan_id=None, draw_id=origin, credit_code=credit_code, enterprise_name=name,
                jurisdiction=jurisdiction, stratum="", inspectors=[], lead=None, status=TaskStatus.UNSTAFFED,
                kind=kind, unstaffed_reason=AWAITING, target=target, created_at=datetime.now(UTC))
