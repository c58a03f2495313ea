"""The vocabularies of cases: statuses, step kinds, sources, outcomes, measures, methods (the wire values)."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    FILING = "filing"  # opened, waiting for the 立案 approval
    NOT_FILED = "not_filed"  # filing refused (closed)
    INVESTIGATING = "investigating"  # 调查取证
    REVIEWED = "reviewed"  # 案件审查 proposed an outcome
    NOTIFIED = "notified"  # 行政处罚事先告知 served
    DECIDED = "decided"  # the decision made; service, execution, publication follow
    CLOSED = "closed"  # 结案


class StepKind(StrEnum):
    OPEN = "open"
    APPROVE_FILING = "approve_filing"
    ADD_EVIDENCE = "add_evidence"
    REVIEW = "review"
    LEGAL_REVIEW = "legal_review"
    PRIOR_NOTICE = "prior_notice"
    STATEMENT = "statement"
    HEARING_REQUEST = "hearing_request"
    HEARING_NOTICE = "hearing_notice"
    HEARING = "hearing"
    COLLECTIVE_DISCUSSION = "collective_discussion"
    EXTEND_DEADLINE = "extend_deadline"
    DECIDE = "decide"
    SERVE = "serve"
    PUBLISH = "publish"
    REVISE = "revise"
    CORRECTION_ORDER = "correction_order"
    REINSPECT = "reinspect"
    STOP_DISCHARGE = "stop_discharge"
    DAILY_PENALTY_NOTICE = "daily_penalty_notice"
    DAILY_PENALTY_DECIDE = "daily_penalty_decide"
    APPLY_PAYMENT_PLAN = "apply_payment_plan"
    APPROVE_PAYMENT_PLAN = "approve_payment_plan"
    PAYMENT = "payment"
    REMIND = "remind"
    COURT_APPLICATION = "court_application"
    TRANSFER = "transfer"
    TRANSFER_RECEIPT = "transfer_receipt"
    TRANSFER_OUTCOME = "transfer_outcome"
    CLOSE = "close"


class SourceKind(StrEnum):
    ONSITE_FINDING = "onsite_finding"
    POWER_ALERT = "power_alert"
    DRONE_FLIGHT = "drone_flight"
    COMPLAINT = "complaint"
    HOTSPOT = "hotspot"
    LEAD = "lead"
    OTHER = "other"


class EvidenceKind(StrEnum):
    FIELD_RECORD = "field_record"  # an inspection task's records, by the head of its hash chain
    EVIDENCE_FILE = "evidence_file"  # a photo, video, audio or document, by its SHA-256
    POWER_ALERT = "power_alert"
    DRONE_FLIGHT = "drone_flight"
    COMPLAINT = "complaint"
    HOTSPOT = "hotspot"


class PartyKind(StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class Outcome(StrEnum):
    PENALTY = "penalty"
    NO_PENALTY = "no_penalty"


class NoPenaltyReason(StrEnum):
    """行政处罚法 art. 33 and DOMAIN rule 26."""

    MINOR_CORRECTED_HARMLESS = "minor_corrected_harmless"  # 违法行为轻微并及时改正，没有造成危害后果
    FIRST_VIOLATION_MINOR = "first_violation_minor"  # 初次违法且危害后果轻微并及时改正 (configured types)
    NO_VIOLATION = "no_violation"  # the facts do not establish a violation
    TIME_BARRED = "time_barred"  # 超过追责时效 (art. 36)


class Measure(StrEnum):
    CORRECTION = "correction"  # 责令改正
    PRODUCTION_RESTRICTION = "production_restriction"  # 责令限制生产
    SUSPENSION = "suspension"  # 责令停产整治
    CLOSURE = "closure"  # 责令停业、关闭
    PERMIT_REVOCATION = "permit_revocation"  # 吊销许可证
    QUALIFICATION_LOWERED = "qualification_lowered"  # 降低资质等级
    CONFISCATION = "confiscation"  # 没收违法所得、非法财物


class DecisionKind(StrEnum):
    PENALTY = "penalty"  # 行政处罚决定书
    NO_PENALTY = "no_penalty"  # 不予行政处罚决定书
    DAILY_PENALTY = "daily_penalty"  # 按日连续处罚决定书


class ServiceMethod(StrEnum):
    DIRECT = "direct"  # 直接送达 (handed over on announcement)
    LEFT = "left"  # 留置送达
    MAIL = "mail"  # 邮寄送达
    ELECTRONIC = "electronic"  # 电子送达 (with the party's consent)
    ENTRUSTED = "entrusted"  # 委托送达
    PUBLIC_NOTICE = "public_notice"  # 公告送达


class ReinspectionFinding(StrEnum):
    CONTINUING = "continuing"  # the discharge goes on: a daily penalty may follow
    CORRECTED = "corrected"


class PlanKind(StrEnum):
    DEFERRAL = "deferral"  # 延期缴纳
    INSTALMENTS = "instalments"  # 分期缴纳


class TransferKind(StrEnum):
    DETENTION = "detention"  # 环境保护法 art. 63: to public security for administrative detention
    CRIME = "crime"  # 涉嫌犯罪 (国务院令第310号)


class TransferOutcome(StrEnum):
    FILED = "filed"  # 立案侦查 / detention case accepted
    DECLINED = "declined"  # 不予立案
    RETURNED = "returned"  # returned to the agency
    DETAINED = "detained"  # administrative detention imposed
