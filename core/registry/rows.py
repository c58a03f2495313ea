"""Flat import rows (CSV columns or JSON objects) ⇄ registry records, with coded field errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from core.error_codes import ErrorCode
from core.errors import FieldError
from core.registry.models import EnterpriseData, InspectorData

ENTERPRISE_COLUMNS = [
    "credit_code", "name", "jurisdiction", "industry_code", "address", "lon", "lat", "boundary",
    "key_discharger", "permit_number", "permit_valid_from", "permit_valid_to",
    "online_monitoring", "credit_tier", "credit_rated_on", "credit_published",
    "performance_grade", "performance_leading", "guarantee_approved_by",
    "guarantee_valid_from", "guarantee_valid_to", "emergency_risk",
    "positive_list_from", "positive_list_to",
]
INSPECTOR_COLUMNS = [
    "staff_id", "name", "certificate_number", "certificate_expires", "on_post",
    "jurisdictions", "conflicts",
]

_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否", ""}

# Which nested model field a flat column feeds, so errors can name the column.
_ENTERPRISE_PATHS = {
    ("location", "lon"): "lon", ("location", "lat"): "lat", ("location",): "lon",
    ("boundary",): "boundary", ("permit", "number"): "permit_number",
    ("permit", "validity"): "permit_valid_to", ("permit", "validity", "valid_from"): "permit_valid_from",
    ("permit", "validity", "valid_to"): "permit_valid_to",
    ("credit", "tier"): "credit_tier", ("credit", "rated_on"): "credit_rated_on",
    ("credit", "published"): "credit_published", ("performance", "grade"): "performance_grade",
    ("performance", "leading"): "performance_leading",
    ("guarantee", "approved_by"): "guarantee_approved_by",
    ("guarantee", "validity"): "guarantee_valid_to",
    ("guarantee", "validity", "valid_from"): "guarantee_valid_from",
    ("guarantee", "validity", "valid_to"): "guarantee_valid_to",
    ("positive_list",): "positive_list_to", ("positive_list", "valid_from"): "positive_list_from",
    ("positive_list", "valid_to"): "positive_list_to",
}
_CODES = {
    "credit_code": ErrorCode.INVALID_CREDIT_CODE, "jurisdiction": ErrorCode.UNKNOWN_JURISDICTION,
    "jurisdictions": ErrorCode.UNKNOWN_JURISDICTION, "industry_code": ErrorCode.UNKNOWN_INDUSTRY,
    "conflicts": ErrorCode.INVALID_CREDIT_CODE,
}


class RowError(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _flag(row: Mapping[str, Any], key: str, errors: list[FieldError], default: bool = False) -> bool:
    value = row.get(key)
    if isinstance(value, bool):
        return value
    text = _text(row, key).lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.append(FieldError(key, f"{key} must be true or false, got {text!r}", ErrorCode.INVALID_BOOLEAN))
    return default


def _number(row: Mapping[str, Any], key: str, errors: list[FieldError]) -> float | None:
    value = row.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(row, key)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors.append(FieldError(key, f"{key} must be a number, got {text!r}", ErrorCode.INVALID_NUMBER))
        return None


def _period(row: Mapping[str, Any], start: str, end: str) -> dict[str, str] | None:
    a, b = _text(row, start), _text(row, end)
    if not a and not b:
        return None
    return {"valid_from": a or b, "valid_to": b or a}


def _list(row: Mapping[str, Any], key: str) -> list[str]:
    value = row.get(key)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in _text(row, key).replace(",", ";").split(";") if part.strip()]


def field_errors(exc: ValidationError, paths: Mapping[tuple[str, ...], str]) -> list[FieldError]:
    errors = []
    for item in exc.errors():
        loc = tuple(str(part) for part in item["loc"] if not isinstance(part, int))
        column = next(
            (paths[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in paths), loc[0] if loc else ""
        )
        kind = item["type"]
        empty = item.get("input", "") in ("", None, [])
        if column in _CODES and kind == "value_error":
            code = _CODES[column]
        elif kind == "missing" or empty:
            code = ErrorCode.REQUIRED
        elif kind in {"greater_than_equal", "less_than_equal"}:
            code = ErrorCode.OUT_OF_RANGE
        elif kind.startswith("date"):
            code = ErrorCode.INVALID_DATE
        else:
            code = ErrorCode.INVALID_VALUE
        message = str(item["msg"]).removeprefix("Value error, ")
        errors.append(FieldError(column, f"{column}: {message}", code))
    return errors


def enterprise_from_row(row: Mapping[str, Any]) -> EnterpriseData:
    """Parse one flat row; raises RowError listing every problem found."""
    errors: list[FieldError] = []
    lon, lat = _number(row, "lon", errors), _number(row, "lat", errors)
    if (lon is None) != (lat is None) and not errors:
        errors.append(FieldError("lat" if lat is None else "lon", "lon and lat go together", ErrorCode.REQUIRED))
    boundary: Any = None
    raw_boundary = row.get("boundary")
    if isinstance(raw_boundary, dict):
        boundary = raw_boundary
    elif _text(row, "boundary"):
        try:
            boundary = json.loads(_text(row, "boundary"))
        except json.JSONDecodeError:
            errors.append(FieldError("boundary", "boundary must be a GeoJSON polygon", ErrorCode.INVALID_GEOJSON))
    if boundary is not None and not (
        isinstance(boundary, dict) and boundary.get("type") == "Polygon"
        and isinstance(boundary.get("coordinates"), list)
    ):
        errors.append(FieldError("boundary", "boundary must be a GeoJSON polygon", ErrorCode.INVALID_GEOJSON))
        boundary = None
    tier = _text(row, "credit_tier").lower()
    approver = _text(row, "guarantee_approved_by")
    data: dict[str, Any] = {
        "credit_code": _text(row, "credit_code"),
        "name": _text(row, "name"),
        "jurisdiction": _text(row, "jurisdiction"),
        "industry_code": _text(row, "industry_code"),
        "address": _text(row, "address"),
        "location": {"lon": lon, "lat": lat} if lon is not None and lat is not None else None,
        "boundary": {"coordinates": boundary["coordinates"]} if boundary else None,
        "key_discharger": _flag(row, "key_discharger", errors),
        "permit": (
            {"number": _text(row, "permit_number"),
             "validity": _period(row, "permit_valid_from", "permit_valid_to")}
            if _text(row, "permit_number") else None
        ),
        "online_monitoring": _flag(row, "online_monitoring", errors),
        "credit": (
            {"tier": tier, "rated_on": _text(row, "credit_rated_on") or None,
             "published": _flag(row, "credit_published", errors, default=True)}
            if tier else None
        ),
        "performance": {
            "grade": _text(row, "performance_grade") or "none",
            "leading": _flag(row, "performance_leading", errors),
        },
        "guarantee": (
            {"approved_by": approver,
             "validity": _period(row, "guarantee_valid_from", "guarantee_valid_to")}
            if approver else None
        ),
        "emergency_risk": _text(row, "emergency_risk").lower() or None,
        "positive_list": _period(row, "positive_list_from", "positive_list_to"),
    }
    try:
        record = EnterpriseData.model_validate(data)
    except ValidationError as exc:
        errors.extend(field_errors(exc, _ENTERPRISE_PATHS))
        raise RowError(errors) from None
    if errors:
        raise RowError(errors)
    return record


def inspector_from_row(row: Mapping[str, Any]) -> InspectorData:
    errors: list[FieldError] = []
    data = {
        "staff_id": _text(row, "staff_id"),
        "name": _text(row, "name"),
        "certificate_number": _text(row, "certificate_number"),
        "certificate_expires": _text(row, "certificate_expires"),
        "on_post": _flag(row, "on_post", errors, default=True),
        "jurisdictions": _list(row, "jurisdictions"),
        "conflicts": _list(row, "conflicts"),
    }
    try:
        record = InspectorData.model_validate(data)
    except ValidationError as exc:
        errors.extend(field_errors(exc, {}))
        raise RowError(errors) from None
    if errors:
        raise RowError(errors)
    return record


def enterprise_to_row(record: EnterpriseData) -> dict[str, str]:
    """The flat row that parses back to ``record`` (used by export and the demo)."""
    def day(value: Any) -> str:
        return value.isoformat() if value else ""

    return {
        "credit_code": record.credit_code, "name": record.name,
        "jurisdiction": record.jurisdiction, "industry_code": record.industry_code,
        "address": record.address,
        "lon": f"{record.location.lon:.6f}" if record.location else "",
        "lat": f"{record.location.lat:.6f}" if record.location else "",
        "boundary": json.dumps(record.boundary.geojson()) if record.boundary else "",
        "key_discharger": str(record.key_discharger).lower(),
        "permit_number": record.permit.number if record.permit else "",
        "permit_valid_from": day(record.permit.validity.valid_from) if record.permit and record.permit.validity else "",
        "permit_valid_to": day(record.permit.validity.valid_to) if record.permit and record.permit.validity else "",
        "online_monitoring": str(record.online_monitoring).lower(),
        "credit_tier": record.credit.tier.value if record.credit else "",
        "credit_rated_on": day(record.credit.rated_on) if record.credit else "",
        "credit_published": str(record.credit.published).lower() if record.credit else "",
        "performance_grade": record.performance.grade.value,
        "performance_leading": str(record.performance.leading).lower(),
        "guarantee_approved_by": record.guarantee.approved_by if record.guarantee else "",
        "guarantee_valid_from": day(record.guarantee.validity.valid_from) if record.guarantee else "",
        "guarantee_valid_to": day(record.guarantee.validity.valid_to) if record.guarantee else "",
        "emergency_risk": record.emergency_risk.value if record.emergency_risk else "",
        "positive_list_from": day(record.positive_list.valid_from) if record.positive_list else "",
        "positive_list_to": day(record.positive_list.valid_to) if record.positive_list else "",
    }
