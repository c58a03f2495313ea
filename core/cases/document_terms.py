"""The words of the case documents: their kinds and titles, the Chinese terms, money, dates and the authority."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from enum import StrEnum

from core.cases.models import Measure, NoPenaltyReason, ServiceMethod, SourceKind, TransferKind
from core.fieldwork.record import VIOLATION_LABELS
from core.reference import tables

CASE_REF = "main"  # the ref of the case's own documents, and of its main decision
CHINA = timezone(timedelta(hours=8), "CST")  # times are printed in China Standard Time, however they were stored


class DocumentKind(StrEnum):
    FILING = "filing"  # 立案审批表
    PRIOR_NOTICE = "prior_notice"  # 行政处罚事先告知书
    HEARING_NOTICE = "hearing_notice"  # 听证通知书
    PENALTY_DECISION = "penalty_decision"  # 行政处罚决定书
    NO_PENALTY_DECISION = "no_penalty_decision"  # 不予行政处罚决定书
    CORRECTION_ORDER = "correction_order"  # 责令改正违法行为决定书
    DAILY_PENALTY_DECISION = "daily_penalty_decision"  # 按日连续处罚决定书
    PAYMENT_PLAN_APPROVAL = "payment_plan_approval"  # 延期（分期）缴纳罚款批准书
    TRANSFER = "transfer"  # 移送书


TITLES = {
    DocumentKind.FILING: ("立案审批表", "Case filing approval"),
    DocumentKind.PRIOR_NOTICE: ("行政处罚事先告知书", "Prior notice of administrative penalty"),
    DocumentKind.HEARING_NOTICE: ("听证通知书", "Hearing notice"),
    DocumentKind.PENALTY_DECISION: ("行政处罚决定书", "Administrative penalty decision"),
    DocumentKind.NO_PENALTY_DECISION: ("不予行政处罚决定书", "Decision not to impose a penalty"),
    DocumentKind.CORRECTION_ORDER: ("责令改正违法行为决定书", "Order to correct the violation"),
    DocumentKind.DAILY_PENALTY_DECISION: ("按日连续处罚决定书", "Daily continuous penalty decision"),
    DocumentKind.PAYMENT_PLAN_APPROVAL: ("延期（分期）缴纳罚款批准书", "Approval of deferred or instalment payment"),
    DocumentKind.TRANSFER: ("移送书", "Case transfer"),
}
SOURCES = {SourceKind.ONSITE_FINDING: "现场检查发现", SourceKind.POWER_ALERT: "用电监控预警",
           SourceKind.DRONE_FLIGHT: "无人机巡查", SourceKind.COMPLAINT: "投诉举报", SourceKind.HOTSPOT: "热点网格预警",
           SourceKind.LEAD: "非现场监管线索", SourceKind.OTHER: "其他"}
MEASURES = {Measure.CORRECTION: "责令改正", Measure.PRODUCTION_RESTRICTION: "责令限制生产",
            Measure.SUSPENSION: "责令停产整治", Measure.CLOSURE: "责令停业、关闭",
            Measure.PERMIT_REVOCATION: "吊销许可证", Measure.QUALIFICATION_LOWERED: "降低资质等级",
            Measure.CONFISCATION: "没收违法所得、非法财物"}
METHODS = {ServiceMethod.DIRECT: "直接送达", ServiceMethod.LEFT: "留置送达", ServiceMethod.MAIL: "邮寄送达",
           ServiceMethod.ELECTRONIC: "电子送达", ServiceMethod.ENTRUSTED: "委托送达",
           ServiceMethod.PUBLIC_NOTICE: "公告送达"}
LAW = "《中华人民共和国行政处罚法》"
NO_PENALTY = {
    NoPenaltyReason.MINOR_CORRECTED_HARMLESS: ("违法行为轻微并及时改正，没有造成危害后果", f"{LAW}第三十三条第一款"),
    NoPenaltyReason.FIRST_VIOLATION_MINOR: ("初次违法且危害后果轻微并及时改正", f"{LAW}第三十三条第一款"),
    NoPenaltyReason.NO_VIOLATION: ("违法事实不能成立", f"{LAW}第五十七条第一款第（三）项"),
    NoPenaltyReason.TIME_BARRED: ("违法行为超过追责时效", f"{LAW}第三十六条"),
}
TRANSFERS = {TransferKind.CRIME: ("涉嫌环境犯罪案件移送", "《行政执法机关移送涉嫌犯罪案件的规定》（国务院令第310号）"),
             TransferKind.DETENTION: ("适用行政拘留的环境违法案件移送", "《中华人民共和国环境保护法》第六十三条")}
DAILY_BASIS = "《中华人民共和国环境保护法》第五十九条；《环境保护主管部门实施按日连续处罚办法》第十七条至第十九条"


def yuan(fen: int) -> str:
    """Money is kept in fen: printed as yuan with two decimals."""
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def violation_label(violation_type: str) -> str:
    return VIOLATION_LABELS.get(violation_type, violation_type)


def day(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


def authority(jurisdiction: str) -> str:
    """The issuing agency of the case's jurisdiction: the province's 生态环境厅, a city's (or district's) 生态环境局."""
    division = tables.divisions().get(jurisdiction)
    if division is None:
        return "生态环境主管部门"
    return f"{division.name}生态环境{'厅' if division.parent is None else '局'}"
