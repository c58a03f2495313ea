"""What the public may see of a plan and its draw (一公开): one record, from which every public document is made.

The plan page and its JSON (``/public/plans/<id>`` and ``.json``), the objects download (JSON and CSV),
GraphQL ``publishedDraw`` and ``publishedPlans``, and the draw document (``/public/draws/<id>.json``,
``ecoinspect plan export``) all take what they show from here, so they cannot disagree:

- the plan: its settings, status, commitment and population hash and, once cancelled, the reason and time;
- every object drawn for the plan, by the draw (``drawn_in`` 0) or by replacement n (``drawn_in`` n),
  with its status (drawn, replaced, cancelled), the object it replaces and the one that replaced it;
- every replacement, numbered by the server in sequence, with the object it concerns, the object it
  drew in its place (object replacements), how many inspectors it replaced, its reason and its time.

Masked: inspectors. The lists, the page and GraphQL never name one (no staff id, no team) before the
inspection; only the draw document carries the inspector snapshot, the teams and each replacement's
inputs (``document_redraws``), because re-computing the draw needs them. scheduler/export.py adds those
verification inputs around the parts made here. Times are ISO 8601 with their UTC offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.inspections.models import Draw, Plan, Task, TaskStatus

OBJECT_COLUMNS = ["credit_code", "enterprise_name", "jurisdiction", "stratum", "status", "drawn_in", "replaces",
                  "replaced_by", "replaced_in"]


@dataclass(frozen=True)
class ObjectRef:
    credit_code: str
    enterprise_name: str


@dataclass(frozen=True)
class PublicObject:
    """An object drawn for the plan, as anyone may see it."""

    credit_code: str
    enterprise_name: str
    jurisdiction: str
    stratum: str
    status: str  # drawn | replaced | cancelled (the plan was cancelled)
    drawn_in: int  # 0: the draw; n: replacement n
    replaces: str | None  # the object replacement ``drawn_in`` replaced
    replaced_by: str | None
    replaced_in: int | None  # the replacement that replaced this object


@dataclass(frozen=True)
class PublicReplacement:
    """A replacement (redraw) as anyone may see it; ``inputs`` go only into the draw document."""

    number: int
    kind: str  # object | inspector
    reason: str
    created_at: datetime
    object: ObjectRef  # the object whose task the replacement changed (for kind object: the one replaced)
    replacement: ObjectRef | None  # kind object: the object drawn in its place
    inspectors_replaced: int  # kind inspector: members drawn anew (who they are is in the draw document only)
    inputs: Mapping[str, Any]  # the stored record, JSON-safe: what re-computing it needs
    status: str = "completed"  # filed (waiting for its announced public value) | completed
    announcement: Mapping[str, Any] | None = None  # protocol v2: the public value announced at filing
    public_value: str | None = None  # protocol v2: that value, once completed


@dataclass(frozen=True)
class PublicDraw:
    """A plan's draw with every object it (and its replacements) drew, and every replacement."""

    plan: Plan
    draw: Draw
    objects: tuple[PublicObject, ...]
    replacements: tuple[PublicReplacement, ...]


@dataclass(frozen=True)
class PublicPlan:
    """A public plan for its page: its draw once published, and its published results."""

    plan: Plan
    draw: PublicDraw | None
    results: list[Task]


def json_safe(value: Any) -> Any:
    """Dates and times as ISO 8601 strings, tuples as lists; everything else as stored."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def public_draw(plan: Plan, draw: Draw, tasks: Sequence[Task], redraws: Sequence[Mapping[str, Any]]) -> PublicDraw:
    """The record of ``draw``: ``tasks`` are the plan's tasks, ``redraws`` its stored replacements by number."""
    names = {t.credit_code: t.enterprise_name for t in tasks}
    objects_drawn = [r for r in redraws if r["change"] == "object" and r.get("replacement")]
    drew = {r["replacement"]: r for r in objects_drawn}  # an enterprise is drawn at most once per plan
    replaced = {r["target"]: r for r in objects_drawn}
    objects = []
    for task in tasks:
        into, by = drew.get(task.credit_code), replaced.get(task.credit_code)
        objects.append(PublicObject(
            credit_code=task.credit_code, enterprise_name=task.enterprise_name, jurisdiction=task.jurisdiction,
            stratum=task.stratum, status=_status(task), drawn_in=int(into["number"]) if into else 0,
            replaces=into["target"] if into else None,
            replaced_by=by["replacement"] if by else None, replaced_in=int(by["number"]) if by else None))
    replacements = tuple(_replacement(r, names) for r in redraws)
    return PublicDraw(plan=plan, draw=draw, objects=tuple(objects), replacements=replacements)


def _status(task: Task) -> str:
    if task.status is TaskStatus.REPLACED:
        return "replaced"
    return "cancelled" if task.status is TaskStatus.CANCELLED else "drawn"


def _replacement(entry: Mapping[str, Any], names: Mapping[str, str]) -> PublicReplacement:
    target, new = entry["target"], entry.get("replacement")
    kind = str(entry["change"])
    filed = "announcement" in entry and entry.get("public_value") is None
    return PublicReplacement(
        number=int(entry["number"]), kind=kind, reason=str(entry["reason"]), created_at=entry["created_at"],
        object=ObjectRef(target, names.get(target, "")),
        replacement=ObjectRef(new, names.get(new, "")) if kind == "object" and new else None,
        inspectors_replaced=(len(entry.get("team") or []) - len(entry.get("keep") or [])
                             if kind == "inspector" and not filed else 0),
        inputs=json_safe(entry), status="filed" if filed else "completed",
        announcement=json_safe(entry.get("announcement")), public_value=entry.get("public_value"))


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as published at freeze, with its status and, once cancelled, why and when."""
    sizes, quotas = plan.stratum_sizes or {}, plan.quotas or {}
    cancellation = ({"reason": plan.cancellation_reason, "cancelled_at": json_safe(plan.cancelled_at)}
                    if plan.cancelled_at else None)
    return {"id": plan.id, "name": plan.name, "jurisdiction": plan.jurisdiction, "matters": list(plan.matters),
            "period": [plan.period_start.isoformat(), plan.period_end.isoformat()], "status": plan.status.value,
            "frozen_at": json_safe(plan.frozen_at), "commitment": plan.commitment,
            "population_hash": plan.population_hash, "population_size": plan.population_size,
            "strata": {k: {"size": v, "quota": quotas.get(k, 0)} for k, v in sorted(sizes.items())},
            "excluded": plan.excluded, "cancellation": cancellation, "protocol": plan.protocol,
            "announcement": plan.announcement,
            "inspection_date": plan.inspection_date.isoformat() if plan.inspection_date else None,
            "commitment_document": commitment_url(plan.id) if plan.protocol >= 2 and plan.commitment else None}


def draw_json(draw: Draw) -> dict[str, Any]:
    """The draw in the lists: its randomness and where its document is."""
    return {"id": draw.id, "created_at": draw.created_at.isoformat(), "public_value": draw.public_value,
            "seed": draw.seed, "object_algorithm": draw.object_algorithm,
            "inspector_algorithm": draw.inspector_algorithm, "document": document_url(draw.id)}


def commitment_url(plan_id: str) -> str:
    """Protocol v2: the commitment document published at freeze (every member with its flags, weight and π)."""
    return f"/public/plans/{plan_id}/commitment.json"


def document_url(draw_id: str) -> str:
    return f"/public/draws/{draw_id}.json"


def object_json(item: PublicObject) -> dict[str, Any]:
    return {"credit_code": item.credit_code, "enterprise_name": item.enterprise_name,
            "jurisdiction": item.jurisdiction, "stratum": item.stratum, "status": item.status,
            "drawn_in": item.drawn_in, "replaces": item.replaces, "replaced_by": item.replaced_by,
            "replaced_in": item.replaced_in}


def replacement_json(item: PublicReplacement) -> dict[str, Any]:
    """A replacement in the lists: its original, what it drew, number, reason and time; no inspector named."""
    def ref(found: ObjectRef | None) -> dict[str, str] | None:
        return {"credit_code": found.credit_code, "enterprise_name": found.enterprise_name} if found else None

    return {"number": item.number, "kind": item.kind, "object": ref(item.object),
            "replacement": ref(item.replacement), "inspectors_replaced": item.inspectors_replaced,
            "reason": item.reason, "created_at": item.created_at.isoformat(), "status": item.status,
            "announcement": item.announcement, "public_value": item.public_value}


def plan_record(plan: Plan, record: PublicDraw | None) -> dict[str, Any]:
    """The plan's public JSON: the plan, and once its draw is public the draw, its objects and replacements."""
    return {"plan": plan_json(plan), "draw": draw_json(record.draw) if record else None,
            "objects": [object_json(o) for o in record.objects] if record else [],
            "replacements": [replacement_json(r) for r in record.replacements] if record else []}


def document_redraws(record: PublicDraw) -> list[dict[str, Any]]:
    """The replacements in the draw document: each stored record with every input re-computing it needs."""
    return [dict(r.inputs) for r in record.replacements]


def document_draw(draw: Draw) -> dict[str, Any]:
    return {"id": draw.id, "kind": draw.kind, "created_at": draw.created_at.isoformat(),
            "created_by": draw.created_by}
