"""``coverageReport``: per supervision class, the share of enterprises a double-random inspection reached in a cycle."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import PageInfo
from core.inspections.coverage import ClassCoverage, Uninspected
from core.inspections.coverage import CoverageReport as DomainReport


@strawberry.type(description="One supervision class in a cycle: its enterprises and how many were inspected.")
class ClassCoverageRow:
    supervision_class: str
    enterprises: int
    inspected: int
    share: float = strawberry.field(description="inspected ÷ enterprises (0 for an empty class)")

    @classmethod
    def from_domain(cls, row: ClassCoverage) -> ClassCoverageRow:
        return cls(supervision_class=row.supervision_class, enterprises=row.enterprises, inspected=row.inspected,
                   share=row.share)


@strawberry.type(description="An enterprise no double-random inspection reached in the cycle.")
class UninspectedEnterprise:
    credit_code: str
    name: str
    jurisdiction: str
    supervision_class: str


@strawberry.type
class UninspectedEdge:
    cursor: str
    node: UninspectedEnterprise


@strawberry.type
class UninspectedConnection:
    edges: list[UninspectedEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="Coverage of a supervision cycle in a jurisdiction (DOMAIN rule 6).")
class CoverageReport:
    jurisdiction: str
    cycle_start: date
    cycle_end: date
    policy_version: str | None = strawberry.field(
        description="The sampling_ratio version whose cycle_years set the cycle; null: the default (one year)")
    classes: list[ClassCoverageRow]
    never_inspected: UninspectedConnection = strawberry.field(
        description="Enterprises not inspected in the cycle, by credit code")

    @classmethod
    def from_domain(cls, report: DomainReport) -> CoverageReport:
        edges = [UninspectedEdge(cursor=cursor, node=_enterprise(item))
                 for cursor, item in zip(report.cursors, report.uninspected, strict=True)]
        return cls(jurisdiction=report.jurisdiction, cycle_start=report.cycle_start, cycle_end=report.cycle_end,
                   policy_version=report.policy_version,
                   classes=[ClassCoverageRow.from_domain(row) for row in report.classes],
                   never_inspected=UninspectedConnection(
                       edges=edges, total_count=report.uninspected_total,
                       page_info=PageInfo(has_next_page=report.has_next,
                                          end_cursor=report.cursors[-1] if report.cursors else None)))


def _enterprise(item: Uninspected) -> UninspectedEnterprise:
    return UninspectedEnterprise(credit_code=item.credit_code, name=item.name, jurisdiction=item.jurisdiction,
                                 supervision_class=item.supervision_class)


@strawberry.type
class CoverageQuery:
    @strawberry.field(description="Per supervision class, how many enterprises of a jurisdiction a double-random "
                                  "inspection reached in the cycle starting on 1 January of `cycle` (by inspection "
                                  "date), and those it did not (supervisors of the jurisdiction; admins).")
    async def coverage_report(self, info: Info[Context, None], jurisdiction: str, cycle: int, first: int = 50,
                              after: str | None = None) -> CoverageReport:
        report = await info.context.services.coverage.report(info.context.viewer, jurisdiction, cycle, first=first,
                                                             after=after)
        return CoverageReport.from_domain(report)
