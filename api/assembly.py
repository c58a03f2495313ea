"""One assembly of the domain services and their cross-domain hooks, for the app and the CLI."""

from __future__ import annotations

from typing import Any

from api.context import Services
from core.alerts.service import AlertService
from core.config import Settings
from core.db import Database
from core.events.service import EventService
from core.fieldwork.checklists import ChecklistService
from core.fieldwork.oversight import Oversight
from core.fieldwork.sync import SyncService
from core.nonsite.complaints import ComplaintService
from core.nonsite.drone import DroneService
from core.nonsite.leads import LeadService
from core.nonsite.models import PowerAlert
from core.nonsite.power_alerts import PowerAlertService
from core.nonsite.service import MeterService
from core.registry.service import RegistryService
from rules.alert_measures import policy_measures
from rules.apply import apply_decisions
from rules.lifecycle import PolicyService
from rules.population import policy_classifier_factory
from scheduler.flows import PlanFlows
from scheduler.redraw_flow import RedrawFlow
from scheduler.results import ResultFlows


def build_services(db: Database, settings: Settings) -> Services:
    policies = PolicyService(db)
    flows = PlanFlows(db, policy_classifier=policy_classifier_factory(policies))

    async def facts_changed(query: dict[str, Any], trigger: str) -> int:
        """Facts of some enterprises changed: their policies decide again."""
        return await apply_decisions(db, policies, query=query, trigger=trigger)

    events = EventService(db, on_facts_changed=facts_changed)

    async def violation_found(alert: PowerAlert, verifier: str, request_id: str) -> None:
        """A power alert verified as a violation counts as a case in the enterprise's events."""
        await events.record_verified(verifier, credit_code=alert.credit_code, kind="case",
                                     reference=f"power:{alert.id}",
                                     description=f"electricity anomaly verified: {alert.kind.value}",
                                     key=alert.id, request_id=request_id, source="nonsite")

    # An alert's measures per enterprise come from the measures policy in force (the engine is in rules/).
    alerts = AlertService(db, compute_measures=policy_measures(db, policies))

    return Services(registry=RegistryService(db, on_facts_changed=facts_changed), plans=flows.plans, flows=flows,
                    redraws=RedrawFlow(flows), results=ResultFlows(flows.plans, settings),
                    policies=policies, alerts=alerts, events=events,
                    sync=SyncService(db, settings), checklists=ChecklistService(db), oversight=Oversight(db),
                    meters=MeterService(db), complaints=ComplaintService(db), leads=LeadService(db),
                    drones=DroneService(db), power_alerts=PowerAlertService(db, on_violation=violation_found))
