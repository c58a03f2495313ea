"""One assembly of the domain services and their cross-domain hooks, for the app and the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.context import Services
from core.accounts.service import AccountService
from core.alerts.service import AlertService
from core.audit.service import AuditService
from core.cases.advice import PenaltyAdvice
from core.cases.models import Case, Decision
from core.cases.overdue import OverdueService
from core.cases.public import PublicCaseReader
from core.cases.service import CaseService
from core.cases.settings import case_rules
from core.config import Settings
from core.db import Database
from core.demo.service import DemoService
from core.events.service import EventService
from core.evidence.models import Evidence
from core.evidence.tus.service import TusUploadService
from core.evidence.upload import EvidenceUploadService
from core.fieldwork.checklists import ChecklistService
from core.fieldwork.completion import evidence_completed
from core.fieldwork.models import Submission
from core.fieldwork.oversight import Oversight
from core.fieldwork.record import OnsiteRecordService
from core.fieldwork.sync import SyncService
from core.inspections.announcement import PublicSource
from core.inspections.coverage import CoverageService
from core.inspections.drawing import DrawService
from core.inspections.redraw import RedrawService
from core.inspections.results import ResultService
from core.inspections.service import PlanService
from core.inspections.targeted import TargetedService
from core.nonsite.complaints import ComplaintService
from core.nonsite.drone import DroneService
from core.nonsite.leads import LeadService
from core.nonsite.meters import MeterService
from core.nonsite.models import PowerAlert
from core.nonsite.power_alerts import PowerAlertService
from core.nonsite.power_scan import PowerScanService
from core.nonsite.repository import MeterRepository
from core.operations.service import OperationsService
from core.persisted.service import PersistedQueryService
from core.policies.service import PolicyService
from core.positive_list.service import PositiveListService
from core.registry.service import RegistryService
from core.registry.upkeep import RegistryUpkeepService
from rules import penalties
from rules.alert_measures import policy_measures
from rules.penalties import case_discretion
from rules.policy_engine import RulesEngine
from rules.population import policy_classifier_factory
from scheduler import alert_sample
from scheduler.calendar import calendar_from, publication_deadline
from scheduler.engine import SchedulerEngine
from scheduler.jobs import Jobs


def build_services(db: Database, settings: Settings) -> Services:
    policies = PolicyService(db, engine=RulesEngine())
    plans, engine = PlanService(db), SchedulerEngine()
    positive_list = PositiveListService(db, on_changed=policies.redecide)

    async def facts_changed(query: dict[str, Any], trigger: str) -> int:
        """Facts of some enterprises changed: their policies decide again, and members no longer eligible
        leave the positive list at once (DOMAIN rule 12)."""
        changed = await policies.redecide(query, trigger)
        await positive_list.reconcile(query, trigger)
        return changed

    events = EventService(db, on_facts_changed=facts_changed)

    async def violation_found(alert: PowerAlert, verifier: str, request_id: str) -> None:
        """A power alert verified as a violation counts as a case in the enterprise's events."""
        await events.record_verified(verifier, credit_code=alert.credit_code, kind="case",
                                     reference=f"power:{alert.id}",
                                     description=f"electricity anomaly verified: {alert.kind.value}",
                                     key=alert.id, request_id=request_id, source="nonsite")

    async def complaint_founded(complaint: dict[str, Any], verifier: str, request_id: str) -> None:
        """A complaint closed as founded counts in the enterprise's events (a verified complaint)."""
        await events.record_verified(verifier, credit_code=complaint["credit_code"], kind="complaint_verified",
                                     reference=f"complaint:{complaint['_id']}",
                                     description=str(complaint["content"])[:500], key=complaint["_id"],
                                     request_id=request_id, source="nonsite")

    async def evidence_complete(evidence: Evidence) -> None:
        """An uploaded file is complete: its inspection's evidence list (and status) follow."""
        await evidence_completed(db, evidence)

    async def penalty_decided(case: Case, decision: Decision, request_id: str) -> None:
        """A decided penalty is a PENALTY event: credit, class and positive list are decided again."""
        assert decision.decided_on is not None
        await events.record_verified(decision.decided_by or "system", credit_code=case.credit_code, kind="penalty",
                                     reference=decision.number, description=f"case {case.id}: {decision.kind.value}",
                                     key=f"{case.id}:{decision.id}", request_id=request_id, source="cases",
                                     occurred_on=decision.decided_on)

    cases = CaseService(db, case_rules(settings, calendar_from(settings).add_working_days),
                        recommend=case_discretion(policies), on_penalty=penalty_decided)
    # An alert's measures per enterprise come from the measures policy in force (the engine is in rules/).
    targeted = TargetedService(db, engine)
    alerts = AlertService(db, compute_measures=policy_measures(db, policies),
                          max_backdate=timedelta(hours=settings.alert_max_backdate_hours),
                          staff_targeted=targeted.staff, select=alert_sample.select,
                          design_pi=alert_sample.inclusion, open_alerts=MeterRepository(db).open_alert_codes)
    meters = MeterService(db)
    evidence_uploads = EvidenceUploadService(db, settings, on_complete=evidence_complete)
    results = ResultService(plans, publication_due=publication_deadline(settings))

    async def submitted(submission: Submission) -> None:  # a signed-off submission → the task's result
        await results.record_submission(task_id=submission.task_id, inspected_on=submission.inspected_on,
                                        findings=submission.findings, submitted_by=submission.submitted_by)

    return Services(accounts=AccountService(db, settings),
                    registry=RegistryService(db, on_facts_changed=facts_changed), plans=plans,
                    upkeep=RegistryUpkeepService(db),
                    draws=DrawService(plans, engine, policy_classifier=policy_classifier_factory(policies),
                                      source=PublicSource.from_settings(settings)),
                    redraws=RedrawService(plans, engine, source=PublicSource.from_settings(settings)),
                    results=results,
                    targeted=targeted, policies=policies, alerts=alerts,
                    events=events,
                    sync=SyncService(db, settings, on_submitted=submitted), checklists=ChecklistService(db),
                    oversight=Oversight(db),
                    evidence_uploads=evidence_uploads,
                    tus_uploads=TusUploadService(db, evidence_uploads,
                                                 expiry=timedelta(hours=settings.evidence_tus_expiry_hours)),
                    records=OnsiteRecordService(db), meters=meters,
                    complaints=ComplaintService(db, on_founded=complaint_founded,
                                                handling_days=settings.complaint_handling_days), leads=LeadService(db),
                    drones=DroneService(db), power_alerts=PowerAlertService(db, on_violation=violation_found),
                    power_scan=PowerScanService(db, policies=policies, on_created=alerts.escalate),
                    demo=DemoService(db, settings, meters=meters, policies=policies, cases=cases),
                    operations=OperationsService(db),
                    cases=cases, penalty_advice=PenaltyAdvice(
                        lambda facts, day: penalties.recommend(policies, facts, day=day)),
                    public_cases=PublicCaseReader(db, cases.rules),
                    case_deadlines=OverdueService(db), persisted_queries=PersistedQueryService(db),
                    audit=AuditService(db, retention_days=settings.audit_retention_days),
                    coverage=CoverageService(db), positive_list=positive_list)


def build_jobs(db: Database, settings: Settings) -> Jobs:
    """The periodic jobs (``ecoinspect scheduler run``) over the same services, with the other packages' daily
    work injected: the policy re-decision and the flagging of overdue cases."""
    services = build_services(db, settings)
    return Jobs(db, services.plans, services.results, extra={
        "policy-redecide": services.policies.redecide_daily, "case-deadlines": services.case_deadlines.run_daily,
        "audit-chain": services.audit.chain_job, "audit-retention": services.audit.purge_expired,
        "positive-list-reconcile": services.positive_list.reconcile_daily})
