"""What each case document says: its number, its body from the case's recorded state, and who signed it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from core.cases.document_terms import (
    CASE_REF,
    CHINA,
    DAILY_BASIS,
    LAW,
    MEASURES,
    METHODS,
    NO_PENALTY,
    SOURCES,
    TRANSFERS,
    DocumentKind,
    day,
    violation_label,
    yuan,
)
from core.cases.models import Case, CaseStatus, CorrectionOrder, Decision, Notice, PlanKind, Step, StepKind, Transfer
from core.cases.settings import CaseRules
from core.pdf import BODY_WIDTH, Styles, fields, grid, para


@dataclass(frozen=True)
class Context:
    case: Case
    ref: str
    steps: Sequence[Step]
    rules: CaseRules
    st: Styles

    def text(self, value: str) -> Flowable:
        return para(value, self.st["body"])

    def heading(self, value: str) -> Flowable:
        return para(value, self.st["heading"])

    def table(self, rows: list[tuple[str, str]]) -> Flowable:
        return fields(rows, self.st, label_width=40 * mm)

    def step(self, kind: StepKind, *, nth: int | None = None, decision: str | None = None) -> Step | None:
        """The recorded step: the nth of its kind (order-n, transfer-n, daily-n), or the last one about
        ``decision``, or the last one."""
        found = [s for s in self.steps if s.kind == kind]
        if decision is not None:
            found = [s for s in found if s.request.get("decision", CASE_REF) == decision]
        if nth is not None:
            return found[nth - 1] if 0 < nth <= len(found) else None
        return found[-1] if found else None

    def decision(self) -> Decision:
        found = self.case.decision(self.ref)
        assert found is not None  # available() listed it
        return found


@dataclass(frozen=True)
class Page:
    number: str  # the document number (文号) printed under the title
    body: list[Flowable]
    signer: str
    signed_on: date | None
    step: Step | None  # the step the document records, when the steps were given


def _nth(ref: str) -> int:
    return int(ref.rsplit("-", 1)[1])


def _actor(step: Step | None) -> str:
    return step.actor if step is not None else ""


def _review_rights(ctx: Context) -> str:
    r = ctx.rules
    return (f"如不服本决定，可以在收到本决定书之日起{r.review_window_days}日内依法申请行政复议，或者在"
            f"{r.litigation_window_months}个月内依法向人民法院提起行政诉讼。申请行政复议或者提起行政诉讼的，"
            "不停止本决定的执行。")


def _payment(ctx: Context, decision: Decision) -> list[Flowable]:
    r = ctx.rules
    due = f"（即{day(decision.due_on)}前）" if decision.due_on else ""
    return [ctx.heading("履行方式和期限"), ctx.text(
        f"自收到本决定书之日起{r.payment_days}日内{due}，将罚款 {yuan(decision.fine_fen)} 缴至指定银行。"
        f"到期不缴纳罚款的，每日按罚款数额的{r.surcharge_percent_per_day}%加处罚款，加处罚款的数额不超过罚款的数额"
        "（《中华人民共和国行政处罚法》第七十二条）。逾期不申请行政复议、不提起行政诉讼又不履行的，本机关将依法申请"
        "人民法院强制执行。")]


def filing(ctx: Context) -> Page:
    case = ctx.case
    step = ctx.step(StepKind.APPROVE_FILING)
    refused = case.status == CaseStatus.NOT_FILED
    opinion = "不予立案" if refused else "同意立案"
    reason = str(step.request.get("reason", "")) if step is not None else ""
    rows = [("案件来源", SOURCES[case.source] + (f"（{case.source_id}）" if case.source_id else "")),
            ("发现日期", day(case.discovered_on)), ("立案申请", f"{day(case.opened_on)}，{case.opened_by}"),
            ("审批意见", opinion + (f"：{reason}" if reason.strip() else ""))]
    if not refused:
        rows += [("立案日期", day(case.filed_on)),
                 ("办案期限", f"{day(case.decision_due)}前作出决定（《中华人民共和国行政处罚法》第六十条）")]
    signer = (case.closed_by if refused else case.filed_by) or ""
    return Page(number=case.number or "—", body=[ctx.heading("审批"), ctx.table(rows)], signer=signer,
                signed_on=case.closed_on if refused else case.filed_on, step=step)


def _notice_rights(ctx: Context, notice: Notice) -> str:
    text = ("你单位（你）有权进行陈述和申辩。本机关将充分听取意见，对提出的事实、理由和证据进行复核；"
            "不因陈述、申辩而给予更重的处罚（《中华人民共和国行政处罚法》第四十四条、第四十五条）。")
    if notice.hearing_right:
        days = ctx.rules.hearing_request_days
        until = notice.served_on + timedelta(days=days)
        text += (f"根据第六十三条、第六十四条，你单位（你）有权要求听证；要求听证的，应当在收到本告知书之日起{days}日内"
                 f"（即{day(until)}前）提出，逾期视为放弃听证权利。")
    return text


def prior_notice(ctx: Context) -> Page:
    case = ctx.case
    if ctx.ref == CASE_REF:
        notice, proposal = case.notice, case.proposal
        assert notice is not None
        assert proposal is not None
        step = ctx.step(StepKind.PRIOR_NOTICE)
        lines = [(violation_label(case.violations[f.violation].violation_type), f.fine_fen) for f in proposal.fines]
        facts, measures, number = proposal.facts, proposal.measures, case.number or "—"
    else:
        decision = ctx.decision()
        notice, daily = decision.notice, decision.daily
        assert notice is not None
        assert daily is not None
        step = ctx.step(StepKind.DAILY_PENALTY_NOTICE, nth=_nth(ctx.ref))
        facts = (f"经{day(_reinspected_on(case, daily.reinspection))}复查，你单位（你）拒不改正违法行为。自"
                 f"{day(daily.counted_from)}至{day(daily.counted_to)}共{daily.days}日，依据{DAILY_BASIS}拟按日连续处罚。")
        lines, measures, number = [("按日连续处罚", notice.fine_fen)], [], decision.number
    rows = [("违法事实", facts), *[(f"拟罚款（{kind}）", yuan(fen)) for kind, fen in lines],
            ("拟罚款合计", yuan(notice.fine_fen))]
    if measures:
        rows.append(("拟采取的其他处罚", "、".join(MEASURES[m] for m in measures)))
    rows.append(("送达", f"{day(notice.served_on)}，{METHODS[notice.method]}"))
    body = [ctx.heading("拟作出的行政处罚"), ctx.table(rows), ctx.heading("陈述、申辩和听证"),
            ctx.text(_notice_rights(ctx, notice))]
    return Page(number=number, body=body, signer=_actor(step), signed_on=notice.served_on, step=step)


def hearing_notice(ctx: Context) -> Page:
    case = ctx.case
    hearing, notice = case.hearing, case.notice
    assert hearing is not None
    assert notice is not None
    step = ctx.step(StepKind.HEARING_NOTICE)
    rows = [("听证申请日期", day(hearing.requested_on)), ("听证日期", day(hearing.hearing_on)),
            ("通知日期", day(hearing.notified_on)), ("拟作出的罚款", yuan(notice.fine_fen))]
    text = (f"本机关于听证{ctx.rules.hearing_notice_days}日前通知你单位（你）听证的时间、地点。你单位（你）可以亲自参加"
            "听证，也可以委托一至二人代理；认为主持人与本案有直接利害关系的，有权申请回避。无正当理由拒不出席听证"
            "或者未经许可中途退出听证的，视为放弃听证权利（《中华人民共和国行政处罚法》第六十四条）。")
    return Page(number=case.number or "—", body=[ctx.heading("听证"), ctx.table(rows), ctx.text(text)],
                signer=_actor(step), signed_on=hearing.notified_on, step=step)


def _reinspected_on(case: Case, reinspection_id: str) -> date | None:
    return next((r.inspected_on for r in case.reinspections if r.id == reinspection_id), None)


def _remarks(ctx: Context, decision: Decision) -> list[Flowable]:
    """The decider's remarks, and a revision on review or by a court (the reasons are in ``reason``)."""
    found = [ctx.text(decision.reason)] if decision.reason else []
    if decision.revision is not None:
        what = "撤销" if decision.revision == "revoked" else "变更"
        found.append(ctx.text(f"本决定已于{day(decision.revised_on)}经行政复议或者诉讼{what}。"))
    return found


def _proceedings(ctx: Context) -> list[Flowable]:
    case = ctx.case
    lines = [f"当事人陈述、申辩：{s}" for s in case.statements]
    if case.hearing is not None and case.hearing.held_on is not None:
        lines.append(f"本机关于{day(case.hearing.held_on)}举行听证。听证报告：{case.hearing.report}")
    return [ctx.heading("陈述、申辩和听证"), ctx.text("\n".join(lines))] if lines else []


def penalty_decision(ctx: Context) -> Page:
    case, decision = ctx.case, ctx.decision()
    proposal = case.proposal
    assert proposal is not None
    proposed = {f.violation: f for f in proposal.fines}
    rows = []
    for line in decision.lines:
        violation, fine = case.violations[line.violation], proposed.get(line.violation)
        statutory = f"{yuan(fine.minimum_fen)} 至 {yuan(fine.maximum_fen)}" if fine else "—"
        level = f"第{fine.discretion.level}档" if fine and fine.discretion else "—"
        rows.append([ctx.text(violation_label(violation.violation_type)), ctx.text(violation.legal_basis),
                     ctx.text(statutory), ctx.text(level), ctx.text(yuan(line.fine_fen))])
    widths = [24 * mm, BODY_WIDTH - 136 * mm, 60 * mm, 18 * mm, 34 * mm]
    body = [ctx.heading("违法事实"), ctx.text(proposal.facts), *_proceedings(ctx), ctx.heading("行政处罚"),
            grid(["违法类型", "处罚依据", "法定幅度", "裁量档次", "罚款"], rows, widths, ctx.st),
            ctx.table([("罚款合计", yuan(decision.fine_fen)),
                       ("其他处罚", "、".join(MEASURES[m] for m in decision.measures) or "—")])]
    body += [*_remarks(ctx, decision), *_payment(ctx, decision), ctx.heading("救济途径"), ctx.text(_review_rights(ctx))]
    return Page(number=decision.number, body=body, signer=decision.decided_by or "", signed_on=decision.decided_on,
                step=ctx.step(StepKind.DECIDE))


def no_penalty_decision(ctx: Context) -> Page:
    case, decision = ctx.case, ctx.decision()
    proposal = case.proposal
    assert proposal is not None
    assert decision.no_penalty_reason is not None
    reason, basis = NO_PENALTY[decision.no_penalty_reason]
    body = [ctx.heading("违法事实"), ctx.text(proposal.facts), ctx.heading("决定"),
            ctx.text(f"本机关认为，{reason}。依据{basis}，决定不予行政处罚。"), *_remarks(ctx, decision),
            ctx.heading("救济途径"), ctx.text(_review_rights(ctx))]
    return Page(number=decision.number, body=body, signer=decision.decided_by or "", signed_on=decision.decided_on,
                step=ctx.step(StepKind.DECIDE))


def correction_order(ctx: Context) -> Page:
    case = ctx.case
    order: CorrectionOrder = next(o for o in case.orders if o.id == ctx.ref)
    violation = case.violations[order.violation]
    step = ctx.step(StepKind.CORRECTION_ORDER, nth=_nth(order.id))
    rows = [("违法行为", f"{violation_label(violation.violation_type)}：{violation.description or '—'}"),
            ("法律依据", violation.legal_basis or "—"), ("决定日期", day(order.ordered_on)),
            ("送达日期", day(order.served_on)), ("改正期限", f"{day(order.correct_by)}前")]
    text = f"依据{LAW}第二十八条第一款，责令你单位（你）于{day(order.correct_by)}前改正上述违法行为。"
    if violation.violation_type in ctx.rules.daily_penalty_types:
        text += f"拒不改正的，本机关将依据{DAILY_BASIS}，按照原处罚数额按日连续处罚。"
    body = [ctx.heading("责令改正"), ctx.table(rows), ctx.text(text), ctx.heading("救济途径"),
            ctx.text(_review_rights(ctx))]
    return Page(number=f"{case.number or '—'}（{order.id}）", body=body, signer=_actor(step),
                signed_on=order.ordered_on, step=step)


def daily_penalty_decision(ctx: Context) -> Page:
    case, decision = ctx.case, ctx.decision()
    daily, main = decision.daily, case.main
    assert daily is not None
    order = next(o for o in case.orders if o.id == daily.order)
    rows = [("原处罚决定", main.number if main else "—"),
            ("责令改正决定", f"{order.id}，{day(order.served_on)}送达"),
            ("复查", f"{day(_reinspected_on(case, daily.reinspection))}复查，违法行为仍在继续"),
            ("计罚期间", f"{day(daily.counted_from)}至{day(daily.counted_to)}"),
            ("计罚日数", f"{daily.days}日"), ("每日罚款（原处罚数额）", yuan(daily.daily_fen)),
            ("罚款合计", f"{yuan(daily.daily_fen)} × {daily.days} = {yuan(decision.fine_fen)}"),
            ("处罚依据", DAILY_BASIS)]
    body = [ctx.heading("按日连续处罚"), ctx.table(rows), *_payment(ctx, decision), ctx.heading("救济途径"),
            ctx.text(_review_rights(ctx))]
    return Page(number=decision.number, body=body, signer=decision.decided_by or "", signed_on=decision.decided_on,
                step=ctx.step(StepKind.DAILY_PENALTY_DECIDE, decision=decision.id))


def payment_plan_approval(ctx: Context) -> Page:
    decision = ctx.decision()
    plan = decision.plan
    assert plan is not None
    kind = "延期缴纳" if plan.kind == PlanKind.DEFERRAL else "分期缴纳"
    rows = [[ctx.text(str(i)), ctx.text(day(part.due_on)), ctx.text(yuan(part.amount_fen))]
            for i, part in enumerate(plan.instalments, start=1)]
    widths = [12 * mm, 60 * mm, BODY_WIDTH - 72 * mm]
    text = (f"逾期未缴纳的，自该期期限届满之次日起每日按该期数额的{ctx.rules.surcharge_percent_per_day}%加处罚款，"
            "加处罚款的数额不超过该期罚款的数额；申请人民法院强制执行的期限，自延期或者分期缴纳期限结束之日起计算"
            "（《中华人民共和国行政处罚法》第六十六条、第七十二条）。")
    body = [ctx.heading("批准事项"),
            ctx.table([("处罚决定", decision.number), ("罚款", yuan(decision.fine_fen)), ("批准方式", kind),
                       ("申请日期", day(plan.applied_on)), ("申请理由", plan.reason)]),
            ctx.heading("缴纳期限"), grid(["期次", "缴纳期限", "金额"], rows, widths, ctx.st), ctx.text(text)]
    return Page(number=decision.number, body=body, signer=plan.approved_by or "", signed_on=plan.approved_on,
                step=ctx.step(StepKind.APPROVE_PAYMENT_PLAN, decision=decision.id))


def _moment(value: datetime, *, late: bool) -> str:
    return value.astimezone(CHINA).isoformat(sep=" ", timespec="minutes") + ("（超过规定期限）" if late else "")


def transfer(ctx: Context) -> Page:
    case = ctx.case
    moved: Transfer = next(t for t in case.transfers if t.id == ctx.ref)
    what, basis = TRANSFERS[moved.kind]
    rows = [("移送事由", what), ("依据", basis), ("接收机关", moved.organ), ("报告日期", day(moved.reported_on)),
            ("批准移送", _moment(moved.decided_at, late=moved.decided_late)),
            ("移送时间", _moment(moved.sent_at, late=moved.sent_late)),
            ("随附材料", "\n".join(f"{i}. {d}" for i, d in enumerate(moved.documents, start=1)))]
    step = ctx.step(StepKind.TRANSFER, nth=_nth(moved.id))
    return Page(number=f"{case.number or '—'}（{moved.id}）", body=[ctx.heading("移送"), ctx.table(rows)],
                signer=_actor(step), signed_on=moved.decided_at.astimezone(CHINA).date(), step=step)


BUILDERS: dict[DocumentKind, Callable[[Context], Page]] = {
    DocumentKind.FILING: filing, DocumentKind.PRIOR_NOTICE: prior_notice, DocumentKind.HEARING_NOTICE: hearing_notice,
    DocumentKind.PENALTY_DECISION: penalty_decision, DocumentKind.NO_PENALTY_DECISION: no_penalty_decision,
    DocumentKind.CORRECTION_ORDER: correction_order, DocumentKind.DAILY_PENALTY_DECISION: daily_penalty_decision,
    DocumentKind.PAYMENT_PLAN_APPROVAL: payment_plan_approval, DocumentKind.TRANSFER: transfer,
}
