"""Unit tests for flat import rows ⇄ registry records and their coded field errors."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from core.errors import FieldError
from core.registry.models import (
    CreditRating,
    CreditTier,
    EmergencyRisk,
    EnterpriseData,
    GeoPoint,
    GuaranteeStatus,
    Performance,
    PerformanceGrade,
    Period,
    Permit,
    Polygon,
)
from core.registry.rows import (
    ENTERPRISE_COLUMNS,
    INSPECTOR_COLUMNS,
    RowError,
    enterprise_from_row,
    enterprise_to_row,
    inspector_from_row,
)

CODE = "91110000802100433B"
OTHER_CODE = "91350100M000100Y43"
SQUARE = [[108.9, 34.2], [109.0, 34.2], [109.0, 34.3], [108.9, 34.3], [108.9, 34.2]]


def enterprise(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "credit_code": CODE, "name": "西安测试化工有限公司", "jurisdiction": "610100",
        "industry_code": "0313",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not None}


def inspector(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "staff_id": "SX-610100-0001", "name": "张三", "certificate_number": "SXHB-2024-0001",
        "certificate_expires": "2027-06-30", "on_post": "true", "jurisdictions": "610100",
        "conflicts": "",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not None}


def enterprise_errors(row: dict[str, Any]) -> list[FieldError]:
    with pytest.raises(RowError) as info:
        enterprise_from_row(row)
    assert info.value.errors, "RowError must carry at least one FieldError"
    assert str(info.value) == info.value.errors[0].message
    return info.value.errors


def inspector_errors(row: dict[str, Any]) -> list[FieldError]:
    with pytest.raises(RowError) as info:
        inspector_from_row(row)
    assert info.value.errors
    return info.value.errors


def pairs(errors: list[FieldError]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in errors}


# --- valid rows -----------------------------------------------------------------------------


def test_minimal_row_parses_with_defaults() -> None:
    record = enterprise_from_row(enterprise())
    assert record.credit_code == CODE
    assert record.jurisdiction == "610100"
    assert record.location is None
    assert record.boundary is None
    assert record.key_discharger is False
    assert record.online_monitoring is False
    assert record.permit is None
    assert record.credit is None
    assert record.guarantee is None
    assert record.performance == Performance()
    assert record.positive_list is None
    assert record.emergency_risk is None


def test_cells_are_trimmed_and_code_upper_cased() -> None:
    record = enterprise_from_row(enterprise(credit_code=f"  {CODE.lower()} ", name="  甲公司  ",
                                            lon=" 108.95 ", lat=" 34.27 "))
    assert record.credit_code == CODE
    assert record.name == "甲公司"
    assert record.location == GeoPoint(lon=108.95, lat=34.27)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Y", True), ("是", True),
     ("false", False), ("0", False), ("no", False), ("n", False), ("否", False), ("", False),
     (True, True), (False, False)],
)
def test_boolean_spellings(text: Any, expected: bool) -> None:
    assert enterprise_from_row(enterprise(key_discharger=text)).key_discharger is expected


def test_credit_published_defaults_to_true_and_rated_on_is_optional() -> None:
    record = enterprise_from_row(enterprise(credit_tier="RED"))
    assert record.credit == CreditRating(tier=CreditTier.RED, rated_on=None, published=True)


def test_json_numbers_and_dict_boundary_are_accepted() -> None:
    record = enterprise_from_row(
        enterprise(lon=108.9, lat=34, boundary={"type": "Polygon", "coordinates": [SQUARE]})
    )
    assert record.location == GeoPoint(lon=108.9, lat=34.0)
    assert record.boundary is not None
    assert record.boundary.geojson() == {"type": "Polygon", "coordinates": [SQUARE]}


def test_a_single_period_date_covers_one_day() -> None:
    record = enterprise_from_row(enterprise(permit_number="P-1", permit_valid_from="2026-03-01"))
    assert record.permit == Permit(
        number="P-1", validity=Period(valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 1))
    )


# --- every coded error ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"credit_code": CODE[:17] + "C"}, "credit_code", "INVALID_CREDIT_CODE",
                     id="check-character"),
        pytest.param({"credit_code": CODE[:17]}, "credit_code", "INVALID_CREDIT_CODE", id="short-code"),
        pytest.param({"credit_code": CODE[:9] + "O" + CODE[10:]}, "credit_code",
                     "INVALID_CREDIT_CODE", id="letter-O"),
        pytest.param({"jurisdiction": "999999"}, "jurisdiction", "UNKNOWN_JURISDICTION",
                     id="jurisdiction"),
        pytest.param({"industry_code": "9999"}, "industry_code", "UNKNOWN_INDUSTRY", id="industry"),
        pytest.param({"lon": "200", "lat": "34"}, "lon", "OUT_OF_RANGE", id="lon-200"),
        pytest.param({"lon": "-180.5", "lat": "34"}, "lon", "OUT_OF_RANGE", id="lon-below"),
        pytest.param({"lon": "108", "lat": "-95"}, "lat", "OUT_OF_RANGE", id="lat-minus-95"),
        pytest.param({"name": None}, "name", "REQUIRED", id="name-missing"),
        pytest.param({"name": "   "}, "name", "REQUIRED", id="name-blank"),
        pytest.param({"lon": "108.9"}, "lat", "REQUIRED", id="lon-without-lat"),
        pytest.param({"lat": "34.2"}, "lon", "REQUIRED", id="lat-without-lon"),
        pytest.param({"key_discharger": "maybe"}, "key_discharger", "INVALID_BOOLEAN",
                     id="key-discharger"),
        pytest.param({"online_monitoring": "2"}, "online_monitoring", "INVALID_BOOLEAN",
                     id="online-monitoring"),
        pytest.param({"credit_tier": "green", "credit_published": "maybe"}, "credit_published",
                     "INVALID_BOOLEAN", id="credit-published"),
        pytest.param({"performance_leading": "x"}, "performance_leading", "INVALID_BOOLEAN",
                     id="performance-leading"),
        pytest.param({"lon": "abc", "lat": "34"}, "lon", "INVALID_NUMBER", id="lon-text"),
        pytest.param({"lon": "108", "lat": "34,2"}, "lat", "INVALID_NUMBER", id="lat-comma"),
        pytest.param({"permit_number": "P-1", "permit_valid_from": "2026-13-01",
                      "permit_valid_to": "2027-01-01"}, "permit_valid_from", "INVALID_DATE",
                     id="permit-from-month-13"),
        pytest.param({"permit_number": "P-1", "permit_valid_from": "2026-01-01",
                      "permit_valid_to": "2026-02-30"}, "permit_valid_to", "INVALID_DATE",
                     id="permit-to-feb-30"),
        pytest.param({"credit_tier": "blue", "credit_rated_on": "yesterday"}, "credit_rated_on",
                     "INVALID_DATE", id="credit-rated-on"),
        pytest.param({"guarantee_approved_by": "省生态环境厅", "guarantee_valid_from": "2026-01-01",
                      "guarantee_valid_to": "someday"}, "guarantee_valid_to", "INVALID_DATE",
                     id="guarantee-to"),
        pytest.param({"positive_list_from": "01/02/2026", "positive_list_to": "2026-12-31"},
                     "positive_list_from", "INVALID_DATE", id="positive-list-from"),
        pytest.param({"boundary": "{not json"}, "boundary", "INVALID_GEOJSON", id="boundary-not-json"),
        pytest.param({"boundary": json.dumps({"type": "Point", "coordinates": [108.9, 34.2]})},
                     "boundary", "INVALID_GEOJSON", id="boundary-point"),
        pytest.param({"boundary": "[[108.9, 34.2]]"}, "boundary", "INVALID_GEOJSON",
                     id="boundary-bare-list"),
        pytest.param({"boundary": {"type": "LineString", "coordinates": SQUARE}}, "boundary",
                     "INVALID_GEOJSON", id="boundary-dict-linestring"),
        pytest.param({"boundary": json.dumps({"type": "Polygon", "coordinates": [SQUARE[:3]]})},
                     "boundary", "INVALID_VALUE", id="boundary-open-ring"),
        pytest.param({"boundary": json.dumps({"type": "Polygon", "coordinates": [
            [[208.9, 34.2], [109.0, 34.2], [109.0, 34.3], [208.9, 34.2]]]})},
                     "boundary", "INVALID_VALUE", id="boundary-out-of-range"),
        pytest.param({"permit_number": "P-1", "permit_valid_from": "2026-06-01",
                      "permit_valid_to": "2026-01-01"}, "permit_valid_to", "INVALID_VALUE",
                     id="permit-reversed"),
        pytest.param({"guarantee_approved_by": "省生态环境厅", "guarantee_valid_from": "2026-06-01",
                      "guarantee_valid_to": "2026-01-01"}, "guarantee_valid_to", "INVALID_VALUE",
                     id="guarantee-reversed"),
        pytest.param({"positive_list_from": "2026-06-01", "positive_list_to": "2026-01-01"},
                     "positive_list_to", "INVALID_VALUE", id="positive-list-reversed"),
        pytest.param({"credit_tier": "purple"}, "credit_tier", "INVALID_VALUE", id="credit-tier"),
        pytest.param({"performance_grade": "E"}, "performance_grade", "INVALID_VALUE", id="grade"),
        pytest.param({"emergency_risk": "huge"}, "emergency_risk", "INVALID_VALUE", id="risk"),
        pytest.param({"permit_number": "P" * 65}, "permit_number", "INVALID_VALUE", id="permit-long"),
    ],
)
def test_enterprise_error_codes(changes: dict[str, Any], field: str, code: str) -> None:
    errors = enterprise_errors(enterprise(**changes))
    assert (field, code) in pairs(errors), errors
    # Every error names a flat column (never a nested model path like "location.lon").
    assert {e.field for e in errors} <= set(ENTERPRISE_COLUMNS)
    assert all(e.message for e in errors)


def test_boundary_polygon_without_coordinates_is_a_row_error() -> None:
    # A Polygon object that lacks "coordinates" must be reported, not crash with KeyError.
    errors = enterprise_errors(enterprise(boundary=json.dumps({"type": "Polygon"})))
    assert ("boundary", "INVALID_GEOJSON") in pairs(errors)


def test_error_message_names_the_column_and_the_reason() -> None:
    (error,) = enterprise_errors(enterprise(credit_code=CODE[:17] + "C"))
    assert error == FieldError(
        "credit_code",
        f"credit_code: invalid credit code {CODE[:17]}C: check character is C, expected B",
        "INVALID_CREDIT_CODE",
    )


def test_one_row_with_several_problems_reports_all_of_them() -> None:
    row = enterprise(
        credit_code=CODE[:17] + "0", name="", jurisdiction="123456", industry_code="0000",
        lon="200", lat="34", key_discharger="perhaps", online_monitoring="sometimes",
        boundary="not json", permit_number="P-1", permit_valid_from="2026-06-01",
        permit_valid_to="2026-01-01", credit_tier="green", credit_rated_on="bad",
    )
    errors = enterprise_errors(row)
    assert pairs(errors) == {
        ("credit_code", "INVALID_CREDIT_CODE"),
        ("name", "REQUIRED"),
        ("jurisdiction", "UNKNOWN_JURISDICTION"),
        ("industry_code", "UNKNOWN_INDUSTRY"),
        ("lon", "OUT_OF_RANGE"),
        ("key_discharger", "INVALID_BOOLEAN"),
        ("online_monitoring", "INVALID_BOOLEAN"),
        ("boundary", "INVALID_GEOJSON"),
        ("permit_valid_to", "INVALID_VALUE"),
        ("credit_rated_on", "INVALID_DATE"),
    }
    assert len(errors) == len(pairs(errors))


def test_pre_model_errors_are_kept_when_the_model_also_fails() -> None:
    # INVALID_BOOLEAN is found before the model runs; the model error must not replace it.
    errors = enterprise_errors(enterprise(key_discharger="x", jurisdiction="000000"))
    assert pairs(errors) == {("key_discharger", "INVALID_BOOLEAN"),
                             ("jurisdiction", "UNKNOWN_JURISDICTION")}


def test_pre_model_errors_alone_still_raise() -> None:
    errors = enterprise_errors(enterprise(performance_leading="x"))
    assert pairs(errors) == {("performance_leading", "INVALID_BOOLEAN")}


# --- round trip -----------------------------------------------------------------------------


def full_record() -> EnterpriseData:
    return EnterpriseData(
        credit_code=OTHER_CODE,
        name="宝鸡市测试水泥有限责任公司",
        jurisdiction="610100",
        industry_code="0313",
        address="陕西省西安市未央区测试路 1 号, \"A\" 座",
        location=GeoPoint(lon=108.953125, lat=34.265625),
        boundary=Polygon(coordinates=[
            [(108.9, 34.2), (109.0, 34.2), (109.0, 34.3), (108.9, 34.3), (108.9, 34.2)],
            [(108.95, 34.25), (108.96, 34.25), (108.96, 34.26), (108.95, 34.25)],
        ]),
        key_discharger=True,
        permit=Permit(number="91610100MA000001001P",
                      validity=Period(valid_from=date(2024, 1, 1), valid_to=date(2029, 12, 31))),
        online_monitoring=True,
        credit=CreditRating(tier=CreditTier.YELLOW, rated_on=date(2025, 6, 1), published=False),
        performance=Performance(grade=PerformanceGrade.A_PLUS, leading=True),
        guarantee=GuaranteeStatus(approved_by="西安市生态环境局",
                                  validity=Period(valid_from=date(2026, 1, 1),
                                                  valid_to=date(2026, 12, 31))),
        emergency_risk=EmergencyRisk.MAJOR,
        positive_list=Period(valid_from=date(2026, 3, 1), valid_to=date(2026, 9, 30)),
    )


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(full_record(), id="every-field"),
        pytest.param(EnterpriseData(credit_code=CODE, name="最小企业", jurisdiction="610100",
                                    industry_code="0313"), id="minimal"),
        pytest.param(full_record().model_copy(update={
            "permit": Permit(number="P-2"),
            "credit": CreditRating(tier=CreditTier.GREEN),
            "location": GeoPoint(lon=-180, lat=90),
        }), id="permit-without-validity"),
    ],
)
def test_round_trip_to_row_and_back(record: EnterpriseData) -> None:
    row = enterprise_to_row(record)
    assert list(row) == ENTERPRISE_COLUMNS
    assert all(isinstance(v, str) for v in row.values())
    assert enterprise_from_row(row) == record


def test_to_row_writes_the_boundary_as_geojson() -> None:
    row = enterprise_to_row(full_record())
    geo = json.loads(row["boundary"])
    assert geo["type"] == "Polygon"
    assert geo["coordinates"][0][0] == [108.9, 34.2]
    assert len(geo["coordinates"]) == 2
    assert row["key_discharger"] == "true"
    assert row["credit_published"] == "false"
    assert row["performance_grade"] == "A+"
    assert row["emergency_risk"] == "major"


# --- inspectors -----------------------------------------------------------------------------


def test_inspector_row_parses() -> None:
    record = inspector_from_row(inspector(on_post="否", conflicts=f"{OTHER_CODE.lower()}"))
    assert record.staff_id == "SX-610100-0001"
    assert record.certificate_expires == date(2027, 6, 30)
    assert record.on_post is False
    assert record.jurisdictions == ["610100"]
    assert record.conflicts == [OTHER_CODE]
    assert set(INSPECTOR_COLUMNS) >= set(inspector())


def test_inspector_on_post_defaults_to_true() -> None:
    assert inspector_from_row(inspector(on_post=None)).on_post is True


@pytest.mark.parametrize(
    "cell",
    ["610100;610200", " 610200 ; 610100 ", "610100;;610200;", "610200;610100;610200", "610100,610200",
     ["610100", "610200"]],
)
def test_inspector_jurisdictions_split_on_semicolons(cell: Any) -> None:
    assert inspector_from_row(inspector(jurisdictions=cell)).jurisdictions == ["610100", "610200"]


def test_inspector_conflicts_split_and_upper_cased() -> None:
    record = inspector_from_row(inspector(conflicts=f"{CODE.lower()}; {OTHER_CODE}"))
    assert record.conflicts == sorted([CODE, OTHER_CODE])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"jurisdictions": "610100;999999"}, "jurisdictions", "UNKNOWN_JURISDICTION",
                     id="unknown-jurisdiction"),
        pytest.param({"conflicts": f"{CODE};{CODE[:17]}0"}, "conflicts", "INVALID_CREDIT_CODE",
                     id="conflict-check-character"),
        pytest.param({"conflicts": "NOT-A-CODE"}, "conflicts", "INVALID_CREDIT_CODE",
                     id="conflict-garbage"),
        pytest.param({"on_post": "retired"}, "on_post", "INVALID_BOOLEAN", id="on-post"),
        pytest.param({"certificate_expires": "2027-02-30"}, "certificate_expires", "INVALID_DATE",
                     id="certificate-date"),
        pytest.param({"name": ""}, "name", "REQUIRED", id="name"),
        pytest.param({"staff_id": None}, "staff_id", "REQUIRED", id="staff-id"),
        pytest.param({"staff_id": "has space"}, "staff_id", "INVALID_VALUE", id="staff-id-pattern"),
    ],
)
def test_inspector_error_codes(changes: dict[str, Any], field: str, code: str) -> None:
    errors = inspector_errors(inspector(**changes))
    assert (field, code) in pairs(errors), errors
    assert {e.field for e in errors} <= set(INSPECTOR_COLUMNS)


def test_inspector_unknown_jurisdiction_message_names_the_code() -> None:
    (error,) = inspector_errors(inspector(jurisdictions="610100;999999"))
    assert "999999" in error.message
    assert "610100" not in error.message


def test_inspector_row_with_several_problems_reports_all() -> None:
    errors = inspector_errors(inspector(on_post="x", jurisdictions="000000", conflicts="bad",
                                        name=""))
    assert pairs(errors) == {("on_post", "INVALID_BOOLEAN"), ("jurisdictions", "UNKNOWN_JURISDICTION"),
                             ("conflicts", "INVALID_CREDIT_CODE"), ("name", "REQUIRED")}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"guarantee_approved_by": "陕西省生态环境厅"}, "guarantee_valid_to"),
    ],
)
def test_missing_nested_values_are_required(row: dict[str, str], field: str) -> None:
    base = {"credit_code": "91350100M000100Y43", "name": "x", "jurisdiction": "610100", "industry_code": "3011"}
    with pytest.raises(RowError) as caught:
        enterprise_from_row({**base, **row})
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, "REQUIRED")]


def test_empty_inspector_fields_are_required() -> None:
    with pytest.raises(RowError) as caught:
        inspector_from_row({"staff_id": "S1", "name": "n", "certificate_number": "c",
                            "certificate_expires": "", "jurisdictions": ""})
    assert sorted((e.field, e.code) for e in caught.value.errors) == [
        ("certificate_expires", "REQUIRED"), ("jurisdictions", "REQUIRED")]


def test_bad_lon_is_reported_once() -> None:
    base = {"credit_code": "91350100M000100Y43", "name": "x", "jurisdiction": "610100", "industry_code": "3011"}
    with pytest.raises(RowError) as caught:
        enterprise_from_row({**base, "lon": "abc", "lat": "34"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("lon", "INVALID_NUMBER")]
