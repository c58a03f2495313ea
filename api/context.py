"""Per-request context handed to every resolver: viewer, services, loaders, request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from core.accounts.models import Viewer
from core.accounts.service import AccountService
from core.alerts.service import AlertService
from core.audit.service import AuditService
from core.cases.advice import PenaltyAdvice
from core.cases.models import Step
from core.cases.overdue import OverdueService
from core.cases.public import PublicCaseReader
from core.cases.service import CaseService
from core.config import Settings
from core.demo.service import DemoService
from core.events.models import EnterpriseEvent
from core.events.service import EventService
from core.evidence.tus.service import TusUploadService
from core.evidence.upload import EvidenceUploadService
from core.fieldwork.checklists import ChecklistService
from core.fieldwork.oversight import Oversight
from core.fieldwork.record import OnsiteRecordService
from core.fieldwork.sync import SyncService
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
from core.nonsite.power_alerts import PowerAlertService
from core.nonsite.power_scan import PowerScanService
from core.operations.service import OperationsService
from core.persisted.service import PersistedQueryService
from core.policies.service import PolicyService
from core.positive_list.service import PositiveListService
from core.registry.models import Enterprise
from core.registry.service import RegistryService
from core.registry.upkeep import RegistryUpkeepService


@dataclass
class Services:
    accounts: AccountService
    registry: RegistryService
    upkeep: RegistryUpkeepService
    plans: PlanService
    draws: DrawService
    redraws: RedrawService
    results: ResultService
    targeted: TargetedService
    policies: PolicyService
    alerts: AlertService
    events: EventService
    sync: SyncService
    checklists: ChecklistService
    oversight: Oversight
    evidence_uploads: EvidenceUploadService
    tus_uploads: TusUploadService
    records: OnsiteRecordService
    meters: MeterService
    complaints: ComplaintService
    leads: LeadService
    drones: DroneService
    power_alerts: PowerAlertService
    power_scan: PowerScanService
    demo: DemoService
    operations: OperationsService
    cases: CaseService
    penalty_advice: PenaltyAdvice
    public_cases: PublicCaseReader
    case_deadlines: OverdueService
    persisted_queries: PersistedQueryService
    audit: AuditService
    coverage: CoverageService
    positive_list: PositiveListService


@dataclass
class Context:
    viewer: Viewer
    services: Services
    settings: Settings
    request_id: str
    address: str = "unknown"  # the client's address as the server sees it (api.http.auth.client_address)
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def enterprise_by_code(self) -> DataLoader[str, Enterprise | None]:
        """EnterpriseByCodeLoader: one query per request for every enterprise asked for."""
        if "enterprise_by_code" not in self.loaders:
            async def load(codes: list[str]) -> list[Enterprise | None]:
                found = await self.services.registry.enterprises_by_code(self.viewer, list(codes))
                return [found.get(code) for code in codes]

            self.loaders["enterprise_by_code"] = DataLoader(load_fn=load)
        return self.loaders["enterprise_by_code"]

    @property
    def case_steps(self) -> DataLoader[str, list[Step]]:
        """StepsByCaseLoader: the timelines of every case on a page in one query (cases read in scope)."""
        if "case_steps" not in self.loaders:
            async def load(case_ids: list[str]) -> list[list[Step]]:
                found = await self.services.cases.timelines(list(case_ids))
                return [found.get(case_id, []) for case_id in case_ids]

            self.loaders["case_steps"] = DataLoader(load_fn=load)
        return self.loaders["case_steps"]

    @property
    def decisions_by_code(self) -> DataLoader[str, dict[str, Any]]:
        """EnterpriseDecisionsByCodeLoader: the current policy decisions of every enterprise on a page."""
        if "decisions_by_code" not in self.loaders:
            async def load(codes: list[str]) -> list[dict[str, Any]]:
                found = await self.services.policies.current_decisions(list(codes))
                return [found.get(code, {}) for code in codes]

            self.loaders["decisions_by_code"] = DataLoader(load_fn=load)
        return self.loaders["decisions_by_code"]

    @property
    def history_by_code(self) -> DataLoader[str, list[dict[str, Any]]]:
        """EnterpriseHistoryByCodeLoader: the history of every enterprise on a page in one query."""
        if "history_by_code" not in self.loaders:
            async def load(codes: list[str]) -> list[list[dict[str, Any]]]:
                found = await self.services.registry.history_by_code(self.viewer, list(codes))
                return [found.get(code, []) for code in codes]

            self.loaders["history_by_code"] = DataLoader(load_fn=load)
        return self.loaders["history_by_code"]

    @property
    def events_by_code(self) -> DataLoader[str, list[EnterpriseEvent]]:
        """EnterpriseEventsByCodeLoader: the recent events of every enterprise on a page."""
        if "events_by_code" not in self.loaders:
            async def load(codes: list[str]) -> list[list[EnterpriseEvent]]:
                found = await self.services.events.of_enterprises(self.viewer, list(codes))
                return [found.get(code, []) for code in codes]

            self.loaders["events_by_code"] = DataLoader(load_fn=load)
        return self.loaders["events_by_code"]
