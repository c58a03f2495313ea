"""Query.node: every Node type with the root field whose access rule it follows and its scoped read.

A global id names a type and a key (``to_global_id``). ``node(id)`` is open to anyone, so each type
first passes the access rule of the root field that reads it (``permissions.check``: the same roles
as that field), then the owning service's scoped read (the viewer's jurisdictions, own tasks, published
state). Whatever either refuses, and any id that is not ours, resolves to null: nothing leaked.
``tests/api/test_node.py`` checks that every type implementing Node has an entry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from api.alerts import types as alert_types
from api.cases import types as case_types
from api.context import Context
from api.events import types as event_types
from api.fieldwork import types as field_types
from api.graphql.errors import ApiError
from api.graphql.permissions import check
from api.graphql.relay import Node, from_global_id
from api.inspections import types as inspection_types
from api.nonsite import types as nonsite_types
from api.policies import types as policy_types
from api.registry import types as registry_types
from core.errors import DomainError

Read = Callable[[Context, str], Awaitable[Node | None]]


@dataclass(frozen=True)
class NodeType:
    access: str  # the root field whose access rule applies ("Query.plan")
    read: Read  # the service's scoped read; raises a DomainError (or returns None) outside the viewer's scope


async def _enterprise(context: Context, key: str) -> Node | None:
    found = await context.enterprise_by_code.load(key)
    return registry_types.Enterprise.from_domain(found) if found else None


async def _inspector(context: Context, key: str) -> Node:
    return registry_types.Inspector.from_domain(await context.services.registry.inspector(context.viewer, key))


async def _matter(context: Context, key: str) -> Node:
    return registry_types.Matter.from_domain(await context.services.registry.matter(context.viewer, key))


async def _plan(context: Context, key: str) -> Node:
    return inspection_types.Plan.from_domain(await context.services.plans.get(context.viewer, key))


async def _task(context: Context, key: str) -> Node:
    return inspection_types.Task.from_domain(await context.services.plans.task(context.viewer, key))


async def _draw(context: Context, key: str) -> Node:
    return inspection_types.Draw.from_domain(await context.services.plans.draw(context.viewer, key))


async def _policy(context: Context, key: str) -> Node:
    return policy_types.Policy.from_domain(await context.services.policies.policy(key, context.viewer))


async def _policy_version(context: Context, key: str) -> Node:
    return policy_types.PolicyVersion.from_domain(await context.services.policies.scoped_version(context.viewer, key))


async def _alert(context: Context, key: str) -> Node:
    return alert_types.Alert.from_domain(await context.services.alerts.get(context.viewer, key))


async def _event(context: Context, key: str) -> Node:
    return event_types.EnterpriseEvent.from_domain(await context.services.events.get(context.viewer, key))


async def _checklist(context: Context, key: str) -> Node:
    return field_types.Checklist.from_domain(await context.services.checklists.get(key))


async def _inspection(context: Context, key: str) -> Node:
    return field_types.Inspection.from_document(await context.services.oversight.inspection(context.viewer, key))


async def _conflict(context: Context, key: str) -> Node:
    return field_types.SyncConflict.from_document(await context.services.oversight.conflict(context.viewer, key))


async def _power_alert(context: Context, key: str) -> Node:
    return nonsite_types.PowerAlert.from_domain(await context.services.power_alerts.get(context.viewer, key))


async def _lead(context: Context, key: str) -> Node:
    return nonsite_types.Lead.from_domain(await context.services.leads.get(context.viewer, key))


async def _complaint(context: Context, key: str) -> Node:
    return nonsite_types.Complaint.from_document(await context.services.complaints.complaint(context.viewer, key))


async def _hotspot(context: Context, key: str) -> Node:
    return nonsite_types.HotspotAlert.from_document(await context.services.complaints.hotspot(context.viewer, key))


async def _flight(context: Context, key: str) -> Node:
    return nonsite_types.DroneFlight.from_document(await context.services.drones.get(context.viewer, key))


async def _case(context: Context, key: str) -> Node:
    services = context.services
    return case_types.Case.from_domain(await services.cases.get(context.viewer, key), services.cases.rules)


NODE_TYPES: dict[str, NodeType] = {
    "Enterprise": NodeType("Query.enterprise", _enterprise),
    "Inspector": NodeType("Query.inspectors", _inspector),
    "Matter": NodeType("Query.matters", _matter),
    "Plan": NodeType("Query.plan", _plan),
    "Task": NodeType("Query.myTasks", _task),  # its inspectors, and supervisors over it
    "Draw": NodeType("Query.publishedDraw", _draw),  # supervisors over its plan; anyone once published
    "Policy": NodeType("Query.policy", _policy),
    "PolicyVersion": NodeType("Query.policyVersion", _policy_version),
    "Alert": NodeType("Query.alerts", _alert),
    "EnterpriseEvent": NodeType("Query.enterprise", _event),  # read with the enterprise it belongs to
    "Checklist": NodeType("Query.checklist", _checklist),
    "Inspection": NodeType("Query.myTasks", _inspection),  # its task's inspectors, and supervisors over it
    "SyncConflict": NodeType("Query.syncConflicts", _conflict),
    "PowerAlert": NodeType("Query.powerAlerts", _power_alert),
    "Lead": NodeType("Query.leads", _lead),
    "Complaint": NodeType("Query.complaints", _complaint),
    "HotspotAlert": NodeType("Mutation.recordHotspotAlert", _hotspot),  # no query lists them: their recorders
    "DroneFlight": NodeType("Query.droneFlight", _flight),
    "Case": NodeType("Query.case", _case),
}


async def resolve_node(context: Context, global_id: str) -> Any:
    """The object a global id names, if the viewer may see it; otherwise None."""
    type_name, key = from_global_id(global_id)
    entry = NODE_TYPES.get(type_name)
    if entry is None or not key:
        return None
    try:
        check(entry.access, context.viewer)
        return await entry.read(context, key)
    except (ApiError, DomainError):
        return None
