"""Publication of penalty decisions (一公开): what is shown, what is masked, and the JSON and CSV feeds."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.accounts.models import Role
from core.cases.models import (
    Case,
    CaseStatus,
    CorrectionOrder,
    DailyPenalty,
    Decision,
    DecisionKind,
    FineLine,
    Measure,
    NoPenaltyReason,
    PartyKind,
    SourceKind,
    StepKind,
    Violation,
)
from core.cases.publication import (
    COLUMNS,
    mask_id_number,
    mask_name,
    mask_text,
    overdue_publications,
    public_decisions,
    to_csv,
    to_json,
    yuan,
)
from core.cases.settings import CaseRules
from core.cases.steps import Actor, advance

YUAN = 100
CHIEF = Actor(username="chief", roles=frozenset({Role.SUPERVISOR}), inspector_id=None,
              at=datetime(2025, 6, 30, 9, 0, tzinfo=UTC))
RULES = CaseRules()
EXCEED = Violation(violation_type="exceed_standard", legal_basis="《大气污染防治法》第九十九条",
                   description="COD 超标 2.1 倍；现场负责人欧阳娜娜，身份证 61010219900307123X，电话 13812345678")
FUGITIVE = Violation(violation_type="fugitive_emission", legal_basis="《大气污染防治法》第一百零八条",
                     description="")


def _case(**extra: Any) -> Case:
    base: dict[str, Any] = {
        "id": "case-1", "number": "陕环罚〔2025〕7号", "jurisdiction": "610100", "credit_code": "91610100MC0000001X",
        "party_name": "西安某化工有限公司", "party_kind": PartyKind.ORGANISATION, "representative": "张三",
        "source": SourceKind.ONSITE_FINDING, "violations": [EXCEED], "officers": ["SX-1", "SX-2"],
        "opened_by": "insp1", "discovered_on": date(2025, 1, 2), "opened_on": date(2025, 1, 3),
        "status": CaseStatus.DECIDED}
    return Case.model_validate({**base, **extra})


def _penalty(fine_yuan: int, decided_on: date, *, lines: list[FineLine] | None = None,
             measures: list[Measure] | None = None, number: str = "陕环罚〔2025〕7号") -> Decision:
    return Decision(id="main", number=number, kind=DecisionKind.PENALTY, fine_fen=fine_yuan * YUAN,
                    lines=lines or [FineLine(violation=0, fine_fen=fine_yuan * YUAN)], measures=measures or [],
                    decided_on=decided_on, decided_by="chief", reason="依据裁量基准第二档")


def _daily(n: int, days: int, counted_from: date, decided_on: date) -> Decision:
    return Decision(id=f"daily-{n}", number=f"陕环罚〔2025〕7号（按日连续处罚第{n}次）", kind=DecisionKind.DAILY_PENALTY,
                    fine_fen=150_000 * YUAN * days, decided_on=decided_on, decided_by="chief",
                    daily=DailyPenalty(order="order-1", reinspection=f"reinspection-{n}", counted_from=counted_from,
                                       counted_to=counted_from + timedelta(days=days - 1), days=days,
                                       daily_fen=150_000 * YUAN))


def _step(case: Case, kind: StepKind, **data: Any) -> Case:
    """The real step (its checks and the way it records a revision), as the service would run it."""
    return advance(case, kind, data, CHIEF, RULES)


def hardest_case() -> Case:
    """An individual party; the main decision (two violations) revised as changed with a lower fine; one daily
    penalty published; a second daily penalty decided but not published."""
    order = CorrectionOrder(id="order-1", violation=0, ordered_on=date(2025, 3, 8), served_on=date(2025, 3, 9),
                            correct_by=date(2025, 3, 19), reinspect_by=date(2025, 4, 8), counted_to=date(2025, 4, 20))
    case = _case(
        party_kind=PartyKind.INDIVIDUAL, party_name="欧阳娜娜", representative="欧阳娜娜",
        credit_code="61010219900307123X", violations=[EXCEED, FUGITIVE], orders=[order],
        decisions=[
            _penalty(200_000, date(2025, 3, 1), measures=[Measure.CORRECTION, Measure.PRODUCTION_RESTRICTION],
                     lines=[FineLine(violation=0, fine_fen=150_000 * YUAN),
                            FineLine(violation=1, fine_fen=50_000 * YUAN)]),
            _daily(1, 18, date(2025, 3, 10), date(2025, 4, 10)),
            _daily(2, 5, date(2025, 4, 16), date(2025, 6, 1))])
    case = _step(case, StepKind.PUBLISH, published_on="2025-03-05")
    case = _step(case, StepKind.PUBLISH, decision="daily-1", published_on="2025-04-12")
    return _step(case, StepKind.REVISE, revised_on="2025-05-20", outcome="changed", fine_fen=120_000 * YUAN,
                 reason="行政复议决定变更罚款：当事人欧阳娜娜（电话 139-1234-5678）已改正")


EXPECTED_MAIN = {
    "case_number": "陕环罚〔2025〕7号", "decision_number": "陕环罚〔2025〕7号", "kind": "penalty",
    "jurisdiction": "610100", "party_name": "欧***", "party_kind": "individual",
    "credit_code": "610102********123X", "representative": "欧***",
    "violations": [
        {"violation_type": "exceed_standard", "legal_basis": "《大气污染防治法》第九十九条",
         "description": "COD 超标 2.1 倍；现场负责人欧***，身份证 610102********123X，电话 138****5678"},
        {"violation_type": "fugitive_emission", "legal_basis": "《大气污染防治法》第一百零八条", "description": ""}],
    "fine_yuan": "120000.00", "measures": ["correction", "production_restriction"],
    "decided_on": "2025-03-01", "published_on": "2025-03-05",
    "revision": "changed", "revised_on": "2025-05-20",
    "revision_reason": "行政复议决定变更罚款：当事人欧***（电话 139****5678）已改正",
    "original_fine_yuan": "200000.00",
    "daily_days": None, "daily_from": None, "daily_to": None, "daily_fine_yuan": None}
EXPECTED_DAILY = {
    "case_number": "陕环罚〔2025〕7号", "decision_number": "陕环罚〔2025〕7号（按日连续处罚第1次）",
    "kind": "daily_penalty", "jurisdiction": "610100", "party_name": "欧***", "party_kind": "individual",
    "credit_code": "610102********123X", "representative": "欧***",
    "violations": [EXPECTED_MAIN["violations"][0]],  # type: ignore[index]
    "fine_yuan": "2700000.00", "measures": [], "decided_on": "2025-04-10", "published_on": "2025-04-12",
    "revision": None, "revised_on": None, "revision_reason": None, "original_fine_yuan": None,
    "daily_days": 18, "daily_from": "2025-03-10", "daily_to": "2025-03-27", "daily_fine_yuan": "150000.00"}


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", ""), (" 王小明 ", "王**"), ("买买提·艾力", "买*****")])
def test_names_keep_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_id_numbers_hide_the_birth_date() -> None:
    assert mask_id_number("610102199003071234") == "610102********1234"
    assert mask_id_number("61010219900307123x") == "610102********123x"


@pytest.mark.parametrize(("text", "masked"), [
    ("身份证号610102199003071234。", "身份证号610102********1234。"),
    ("ID 61010219900307123X, tel 13812345678", "ID 610102********123X, tel 138****5678"),
    ("电话：+86 138-1234-5678；备用 008613912345678", "电话：+86 138****5678；备用 0086139****5678"),
    ("138 1234 5678 与 19912345678", "138****5678 与 199****5678"),
    # Not an ID or a mobile number: a credit code, a 12-digit number, a landline, an amount.
    ("91610100MC0000001X 123456789012 029-88886666 12345678901 元", None),
    ("罚款 150000.00 元，COD 超标 2.1 倍", None),
])
def test_free_text_loses_id_and_mobile_numbers(text: str, masked: str | None) -> None:
    assert mask_text(text) == (text if masked is None else masked)


def test_free_text_loses_the_names_it_is_told() -> None:
    assert mask_text("法定代表人张三签收，张三丰在场", ["张三", "李"]) == "法定代表人张*签收，张*丰在场"


def test_yuan_has_two_decimals() -> None:
    assert [yuan(0), yuan(5), yuan(12345), yuan(150_000 * YUAN)] == ["0.00", "0.05", "123.45", "150000.00"]


def test_the_hardest_case_as_json() -> None:
    case = hardest_case()
    main = case.main
    assert main is not None and main.revision == "changed" and main.fine_fen == 120_000 * YUAN
    decisions = public_decisions([case])
    assert json.loads(to_json(decisions)) == {"decisions": [EXPECTED_DAILY, EXPECTED_MAIN]}
    # Nothing personal survives anywhere in the document.
    document = to_json(decisions)
    for secret in ("欧阳娜娜", "19900307", "13812345678", "1234-5678", "依据裁量基准"):
        assert secret not in document


def test_the_hardest_case_as_csv() -> None:
    body = to_csv(public_decisions([hardest_case()]))
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    assert rows[0] == COLUMNS
    assert rows[1:] == [
        ["陕环罚〔2025〕7号", "陕环罚〔2025〕7号（按日连续处罚第1次）", "daily_penalty", "610100", "欧***", "individual",
         "610102********123X", "欧***",
         "exceed_standard: 《大气污染防治法》第九十九条 — COD 超标 2.1 倍；现场负责人欧***，身份证 610102********123X，"
         "电话 138****5678",
         "2700000.00", "", "2025-04-10", "2025-04-12", "", "", "", "", "18", "2025-03-10", "2025-03-27", "150000.00"],
        ["陕环罚〔2025〕7号", "陕环罚〔2025〕7号", "penalty", "610100", "欧***", "individual", "610102********123X", "欧***",
         "exceed_standard: 《大气污染防治法》第九十九条 — COD 超标 2.1 倍；现场负责人欧***，身份证 610102********123X，"
         "电话 138****5678 | fugitive_emission: 《大气污染防治法》第一百零八条",
         "120000.00", "correction | production_restriction", "2025-03-01", "2025-03-05", "changed", "2025-05-20",
         "行政复议决定变更罚款：当事人欧***（电话 139****5678）已改正", "200000.00", "", "", "", ""]]


def test_an_organisation_is_named_and_its_representative_masked() -> None:
    case = _step(_case(decisions=[_penalty(50_000, date(2025, 2, 1))]), StepKind.PUBLISH, published_on="2025-02-03")
    [shown] = public_decisions([case])
    assert (shown.party_name, shown.credit_code, shown.representative) == \
        ("西安某化工有限公司", "91610100MC0000001X", "张*")
    assert shown.revision is None and shown.original_fine_yuan is None and shown.daily_days is None


def test_a_revoked_decision_shows_its_revision() -> None:
    case = _step(_case(decisions=[_penalty(50_000, date(2025, 2, 1))]), StepKind.PUBLISH, published_on="2025-02-03")
    case = _step(case, StepKind.REVISE, revised_on="2025-04-01", outcome="revoked", reason="法院判决撤销")
    case = _step(case, StepKind.REVISE, revised_on="2025-04-02", outcome="revoked", reason="更正：行政复议撤销")
    [shown] = public_decisions([case])
    assert (shown.fine_yuan, shown.original_fine_yuan, shown.revision, shown.revised_on, shown.revision_reason) == \
        ("0.00", "50000.00", "revoked", date(2025, 4, 2), "更正：行政复议撤销")


def test_unpublished_and_no_penalty_decisions_are_not_shown() -> None:
    unpublished = _case(id="case-2", decisions=[_penalty(50_000, date(2025, 2, 1))])
    no_penalty = Decision(id="main", number="陕环罚〔2025〕9号", kind=DecisionKind.NO_PENALTY,
                          no_penalty_reason=NoPenaltyReason.MINOR_CORRECTED_HARMLESS, decided_on=date(2025, 2, 1))
    # Even marked published (the publish step accepts it), a 不予处罚 decision stays off the public feeds.
    spared = _step(_case(id="case-3", decisions=[no_penalty]), StepKind.PUBLISH, published_on="2025-02-02")
    assert public_decisions([unpublished, spared]) == []
    assert to_json([]) == '{"decisions": []}'
    assert to_csv([]) == "\ufeff" + ",".join(COLUMNS) + "\r\n"


def test_latest_publication_first() -> None:
    early = _step(hardest_case(), StepKind.PUBLISH, decision="daily-2", published_on="2025-06-03")
    late = _step(_case(id="case-4", number="陕环罚〔2025〕9号", decisions=[_penalty(30_000, date(2025, 6, 1),
                                                                                number="陕环罚〔2025〕9号")]),
                 StepKind.PUBLISH, published_on="2025-06-10")
    shown = public_decisions([early, late])
    assert [(d.decision_number, d.published_on.isoformat()) for d in shown] == [
        ("陕环罚〔2025〕9号", "2025-06-10"), ("陕环罚〔2025〕7号（按日连续处罚第2次）", "2025-06-03"),
        ("陕环罚〔2025〕7号（按日连续处罚第1次）", "2025-04-12"), ("陕环罚〔2025〕7号", "2025-03-05")]


def test_a_formula_in_a_party_name_is_text_in_excel() -> None:
    hostile = "=HYPERLINK(\"http://evil.example\",\"点击\")"
    case = _step(_case(party_name=hostile, representative="-2+3", decisions=[_penalty(50_000, date(2025, 2, 1))]),
                 StepKind.PUBLISH, published_on="2025-02-03")
    body = to_csv(public_decisions([case]))
    header, line = csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""))
    row = dict(zip(header, line, strict=True))
    assert row["party_name"] == "'" + hostile  # a leading quote: Excel shows the text and runs nothing
    assert row["representative"] == "'-***"  # masked, and the mask still starts a formula: neutralised too
    assert row["fine_yuan"] == "50000.00"
    assert json.loads(to_json(public_decisions([case])))["decisions"][0]["party_name"] == hostile  # JSON is data


def test_overdue_publications() -> None:
    rules = CaseRules(publication_working_days=7)
    case = hardest_case()  # daily-2 decided 2025-06-01, unpublished: due 7 (calendar, no calendar given) days later
    assert overdue_publications([case], date(2025, 6, 8), rules) == []  # due that day: not yet overdue
    [late] = overdue_publications([case], date(2025, 6, 10), rules)
    assert (late.case_id, late.decision_id, late.due_on, late.days_overdue, late.party_name) == \
        ("case-1", "daily-2", date(2025, 6, 8), 2, "欧阳娜娜")
    working = CaseRules(publication_working_days=7, add_working_days=_skip_weekends)
    assert overdue_publications([case], date(2025, 6, 10), working) == []  # 2025-06-01 + 7 working days = 06-10
    no_penalty = Decision(id="main", number="x", kind=DecisionKind.NO_PENALTY, decided_on=date(2025, 1, 1),
                          no_penalty_reason=NoPenaltyReason.NO_VIOLATION)
    assert overdue_publications([_case(id="case-5", decisions=[no_penalty])], date(2025, 6, 10), rules) == []


def _skip_weekends(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5
    return day
