"""Case documents (执法文书): which ones a case has in its recorded state, and each one printed as a PDF.

A document is printed only from the case (and, when given, its stored steps for who signed each step), never
edited: the same state gives the same bytes (``core.pdf.build`` writes invariant PDFs), and ``document_hash``
is what an archive or an ETag quotes. ``document_contents`` writes the body of each kind and
``document_terms`` holds their words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from core.cases.document_contents import BUILDERS, Context, Page
from core.cases.document_terms import CASE_REF, TITLES, DocumentKind, authority, day, violation_label
from core.cases.models import Case, CaseStatus, DecisionKind, EvidenceKind, PartyKind, Step
from core.cases.settings import CaseRules
from core.errors import NotFound
from core.pdf import (
    BODY_WIDTH,
    DrawFooter,
    Fonts,
    Styles,
    build,
    document_hash,
    fields,
    grid,
    hash_cell,
    hash_footer,
    para,
    resolve_fonts,
    styles,
)

__all__ = ["CASE_REF", "DocumentKind", "available", "document_hash", "render"]

EVIDENCE_LABELS = {EvidenceKind.FIELD_RECORD: "现场检查记录（哈希链头）", EvidenceKind.EVIDENCE_FILE: "证据文件",
                   EvidenceKind.POWER_ALERT: "用电监控预警", EvidenceKind.DRONE_FLIGHT: "无人机巡查",
                   EvidenceKind.COMPLAINT: "投诉举报", EvidenceKind.HOTSPOT: "热点网格预警"}
PARTY_LABELS = {PartyKind.ORGANISATION: "单位", PartyKind.INDIVIDUAL: "个人"}


def available(case: Case) -> list[tuple[DocumentKind, str]]:
    """Every document the case has now, as (kind, ref): ref is the decision (main, daily-n), correction order
    (order-n) or transfer (transfer-n) it prints, and ``main`` for the case's own filing and hearing."""
    found: list[tuple[DocumentKind, str]] = []
    if case.filed_on is not None or case.status == CaseStatus.NOT_FILED:
        found.append((DocumentKind.FILING, CASE_REF))
    if case.notice is not None:
        found.append((DocumentKind.PRIOR_NOTICE, CASE_REF))
    found += [(DocumentKind.PRIOR_NOTICE, d.id) for d in case.decisions
              if d.kind == DecisionKind.DAILY_PENALTY and d.notice is not None]
    if case.hearing is not None and case.hearing.notified_on is not None:
        found.append((DocumentKind.HEARING_NOTICE, CASE_REF))
    main = case.main
    if main is not None and main.decided_on is not None:
        kind = DocumentKind.PENALTY_DECISION if main.kind == DecisionKind.PENALTY else DocumentKind.NO_PENALTY_DECISION
        found.append((kind, main.id))
    found += [(DocumentKind.CORRECTION_ORDER, o.id) for o in case.orders]
    found += [(DocumentKind.DAILY_PENALTY_DECISION, d.id) for d in case.decisions
              if d.kind == DecisionKind.DAILY_PENALTY and d.decided_on is not None]
    found += [(DocumentKind.PAYMENT_PLAN_APPROVAL, d.id) for d in case.decisions
              if d.plan is not None and d.plan.approved]
    found += [(DocumentKind.TRANSFER, t.id) for t in case.transfers]
    return found


def render(case: Case, kind: DocumentKind, ref: str = CASE_REF, *, steps: Sequence[Step] = (),
           rules: CaseRules | None = None, font_path: str | Path | None = None) -> bytes:
    """The document as PDF bytes; NotFound when the case does not have it (yet).

    steps: the case's stored steps, to name who signed the steps whose signer the case itself does not keep
    (the notices, orders and transfers) and to quote the recorded step's hash; without them "—" is printed.
    rules: the agency's case rules (deadlines, surcharge rate); the defaults otherwise.
    font_path: as for ``core.pdf.resolve_fonts``.
    """
    if (kind, ref) not in available(case):
        refs = [r for k, r in available(case) if k == kind]
        has = f"; it has {', '.join(refs)}" if refs else ""
        raise NotFound(f"case {case.id} has no {kind.value} document {ref}{has}", field="ref")
    fonts = resolve_fonts(font_path)
    st = styles(fonts)
    st["authority"] = ParagraphStyle("authority", parent=st["title"], fontSize=16, leading=22)
    st["number"] = ParagraphStyle("number", parent=st["body"], alignment=TA_RIGHT, spaceAfter=6)
    kept = [s for s in steps if s.case_id == case.id and s.seq <= case.version]
    ctx = Context(case=case, ref=ref, steps=kept, rules=rules or CaseRules(), st=st)
    page = BUILDERS[kind](ctx)
    title, subtitle = TITLES[kind]
    story = [*_head(ctx, title, subtitle, page), *page.body, *_evidence(case, st), *_signature(ctx, page)]
    step_hash = page.step.hash if page.step is not None else "—"
    return build(story, fonts, title=f"{title} {page.number}", subject=subtitle,
                 draw_footer=_footer(fonts, case.number or case.id, f"{kind.value}/{ref}", step_hash))


def _head(ctx: Context, title: str, subtitle: str, page: Page) -> list[Flowable]:
    case, st = ctx.case, ctx.st
    rows = [("案件编号", case.number or "—（未立案）"), ("当事人", case.party_name),
            ("统一社会信用代码", case.credit_code), ("当事人类型", PARTY_LABELS[case.party_kind])]
    if case.representative:
        rows.append(("法定代表人（负责人）", case.representative))
    return [para(authority(case.jurisdiction), st["authority"]), para(title, st["title"]),
            para(subtitle, st["subtitle"]), para(page.number, st["number"]), fields(rows, st, label_width=40 * mm),
            *_violations(ctx)]


def _violations(ctx: Context) -> list[Flowable]:
    st = ctx.st
    rows = [[para(str(i), st["body"]), para(violation_label(v.violation_type), st["body"]),
             para(v.description or "—", st["body"]), para(v.legal_basis or "—", st["body"])]
            for i, v in enumerate(ctx.case.violations, start=1)]
    widths = [8 * mm, 32 * mm, 62 * mm, BODY_WIDTH - 102 * mm]
    header = ["#", "违法类型", "违法事实", "法律依据"]
    return [para("违法行为及法律依据", st["heading"]), grid(header, rows, widths, st)]


def _evidence(case: Case, st: Styles) -> list[Flowable]:
    rows = [[para(str(i), st["body"]), para(EVIDENCE_LABELS[e.kind], st["body"]), para(e.id, st["mono"]),
             hash_cell(e.sha256, st["mono"]) if e.sha256 else para("—", st["body"])]
            for i, e in enumerate(case.evidence, start=1)]
    widths = [8 * mm, 36 * mm, BODY_WIDTH - 106 * mm, 62 * mm]
    return [para("证据 Evidence", st["heading"]), grid(["#", "类型", "编号", "SHA-256"], rows, widths, st)]


def _signature(ctx: Context, page: Page) -> list[Flowable]:
    st = ctx.st
    rows = [("签发人 Signed by", page.signer or "—"), ("日期 Date", day(page.signed_on)),
            ("承办人员 Officers", "、".join(ctx.case.officers))]
    block = [para("签发 Signature", st["heading"]), fields(rows, st, label_width=40 * mm),
             para(f"{authority(ctx.case.jurisdiction)}（印章）", st["number"])]
    return [KeepTogether(block)]


def _footer(fonts: Fonts, number: str, which: str, step_hash: str) -> DrawFooter:
    return hash_footer(fonts, hash_label="步骤哈希 Step hash: ", digest=step_hash,
                       left=f"案件 Case: {number}  文书 Document: {which}")
