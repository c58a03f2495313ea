"""Deterministic synthetic Shaanxi enterprises (flat registry rows, CSV strings), seeded and lazy."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from core.demo.profile import (
    BOOL,
    DEFAULT_SEED,
    HALF_LAT,
    Place,
    Trade,
    below,
    pick_weighted,
    weighted_places,
    weighted_trades,
)
from core.registry import credit_code
from core.registry.rows import ENTERPRISE_COLUMNS

PROVINCE_APPROVER = "陕西省生态环境厅"
# Guangdong 2017 shares (DOMAIN §2) among rated enterprises; the rest are unrated.
TIER_SHARES = {"red": 0.0245, "yellow": 0.10, "blue": 0.7368, "green": 0.1387}
RATED_SHARE = 0.80
DRAFT_SHARE = 0.05  # rated but still under public notice (published=false)
BOUNDARY_SHARE = 0.10
POSITIVE_SHARE = 0.08  # of eligible green/blue enterprises
GRADE_SHARES = {"A+": 0.02, "A": 0.10, "B": 0.35, "C": 0.40, "D": 0.13}
LEADING_SHARE = 0.20

_SPAN = 1900  # days either side of today covered by the date-string cache
_TRIPLE = 31**3
_ORG_SPACE = _TRIPLE**3
_ROADS = (
    "工业园区创业路", "高新路", "科技二路", "发展大道", "建设路", "长安路", "纬二路", "经三路",
    "园区大道", "迎宾大道", "东风路", "滨河路", "开发区北环路", "新材料产业园纬一路",
)
_BRAND = "华鑫泰隆盛达丰源宏远恒昌瑞兴秦汉金星新永中天宝利通康德正祥和凯博信诚润嘉益"
_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
_SUFFIX_CW = tuple(accumulate((6, 2, 1, 1)))
_TIERS = tuple(TIER_SHARES)
_TIER_CW = tuple(accumulate(TIER_SHARES.values()))
_GRADES = tuple(GRADE_SHARES)
_GRADE_CW = tuple(accumulate(GRADE_SHARES.values()))
_RISKS = ("general", "larger", "major")
_KEY_RISK_CW = (0.70, 0.95, 1.0)
_OTHER_RISK_CW = (0.37, 0.40, 0.40)  # the remaining 60 % have no risk level


@dataclass(frozen=True)
class _Plan:
    today: date
    days: tuple[str, ...]
    multiplier: int
    offset: int

    def day(self, offset: int) -> str:
        return self.days[_SPAN + offset]

    def period(self, offset: int, years: int) -> tuple[str, str]:
        """From today + ``offset`` days for ``years`` calendar years (to the day before)."""
        start = self.today + timedelta(days=offset)
        try:
            anniversary = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            anniversary = start.replace(year=start.year + years, day=28) + timedelta(days=1)
        return self.days[_SPAN + offset], (anniversary - timedelta(days=1)).isoformat()


def _plan(rng: random.Random, today: date) -> _Plan:
    multiplier = rng.randrange(1, _ORG_SPACE)
    while multiplier % 31 == 0:  # must be a unit modulo 31**9 so index -> org code is a bijection
        multiplier = rng.randrange(1, _ORG_SPACE)
    days = tuple((today + timedelta(days=k)).isoformat() for k in range(-_SPAN, _SPAN + 1))
    return _Plan(today=today, days=days, multiplier=multiplier, offset=rng.randrange(_ORG_SPACE))


@cache
def _triplets() -> tuple[str, ...]:
    """All 31**3 three-character strings in base-31 order, so one look-up encodes 3 digits."""
    alphabet = credit_code.ALPHABET
    return tuple(a + b + c for a in alphabet for b in alphabet for c in alphabet)


def _org_code(number: int) -> str:
    triplets = _triplets()
    high, low = divmod(number, _TRIPLE)
    high, middle = divmod(high, _TRIPLE)
    return triplets[high] + triplets[middle] + triplets[low]


def _credit_code(plan: _Plan, index: int, jurisdiction: str) -> str:
    """'91' + division + a 9-char org code that is a bijection of the index, + check char."""
    org = _org_code((index * plan.multiplier + plan.offset) % _ORG_SPACE)
    return credit_code.complete(f"91{jurisdiction}{org}")


def _name(rng: random.Random, place: Place, trade: Trade) -> str:
    size = len(_BRAND)
    pick = below(rng, size * size)
    brand = _BRAND[pick // size] + _BRAND[pick % size]
    prefix = "陕西" if rng.random() < 0.12 else place.prefix
    if trade.product == "医院":
        return f"{prefix}{brand}医院"
    return f"{prefix}{brand}{trade.product}{pick_weighted(rng, _SUFFIXES, _SUFFIX_CW)}"


def _address(rng: random.Random, place: Place) -> str:
    district = place.districts[below(rng, len(place.districts))]
    return f"陕西省{place.name}{district}{_ROADS[below(rng, len(_ROADS))]}{1 + below(rng, 999)}号"


def _square(lon: float, lat: float, half_metres: float, metre_lon: float) -> str:
    dx, dy = half_metres * metre_lon, half_metres * HALF_LAT
    west, east = round(lon - dx, 6), round(lon + dx, 6)
    south, north = round(lat - dy, 6), round(lat + dy, 6)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _locate(row: dict[str, str], rng: random.Random, place: Place) -> None:
    lon = round(rng.uniform(*place.lon), 6)
    lat = round(rng.uniform(*place.lat), 6)
    row["lon"], row["lat"] = f"{lon:.6f}", f"{lat:.6f}"
    if rng.random() < BOUNDARY_SHARE:
        row["boundary"] = _square(lon, lat, rng.uniform(80, 120), place.metre_lon)


def _identity(
    row: dict[str, str], rng: random.Random, plan: _Plan, index: int
) -> tuple[Place, Trade]:
    places, place_cw = weighted_places()
    trades, trade_cw = weighted_trades()
    place = pick_weighted(rng, places, place_cw)
    trade = pick_weighted(rng, trades, trade_cw)
    row["credit_code"] = _credit_code(plan, index, place.code)
    row["name"] = _name(rng, place, trade)
    row["jurisdiction"], row["industry_code"] = place.code, trade.code
    row["address"] = _address(rng, place)
    _locate(row, rng, place)
    return place, trade


def _permit(row: dict[str, str], rng: random.Random, plan: _Plan, key: bool) -> bool:
    if rng.random() >= (0.98 if key else 0.827):  # about 85 % overall
        return False
    start = -below(rng, 5 * 365 + 60)  # 5-year permits; a few lapsed up to two months ago
    row["permit_number"] = f"{row['credit_code']}001P"  # credit code + serial + P
    row["permit_valid_from"], row["permit_valid_to"] = plan.period(start, 5)
    return True


def _credit(row: dict[str, str], rng: random.Random, plan: _Plan) -> str:
    if rng.random() >= RATED_SHARE:
        return ""
    tier = pick_weighted(rng, _TIERS, _TIER_CW)
    draft = rng.random() < DRAFT_SHARE
    age = below(rng, 15) if draft else below(rng, 730)  # drafts are on ~15-day notice
    row["credit_tier"], row["credit_rated_on"] = tier, plan.day(-age)
    row["credit_published"] = BOOL[not draft]
    return tier


def _performance(row: dict[str, str], rng: random.Random, trade: Trade) -> None:
    if trade.heavy:
        row["performance_grade"] = pick_weighted(rng, _GRADES, _GRADE_CW)
        row["performance_leading"] = "false"
    else:
        row["performance_grade"] = "none"
        row["performance_leading"] = BOOL[rng.random() < LEADING_SHARE]


def _guarantee(
    row: dict[str, str], rng: random.Random, plan: _Plan, place: Place, trade: Trade
) -> None:
    if rng.random() >= trade.guarantee_p:
        return
    start = -below(rng, 400)  # 1-year approvals; a few have already run out
    row["guarantee_approved_by"] = PROVINCE_APPROVER if rng.random() < 0.3 else place.bureau
    row["guarantee_valid_from"], row["guarantee_valid_to"] = plan.period(start, 1)


def _risk(rng: random.Random, key: bool) -> str:
    draw = rng.random()
    bounds = _KEY_RISK_CW if key else _OTHER_RISK_CW
    return next((risk for risk, bound in zip(_RISKS, bounds, strict=True) if draw < bound), "")


def _positive(row: dict[str, str], rng: random.Random, plan: _Plan) -> None:
    start = -below(rng, 3 * 365 + 90)  # 3-year entries; a few expired up to 90 days ago
    row["positive_list_from"], row["positive_list_to"] = plan.period(start, 3)


def _enterprise(rng: random.Random, plan: _Plan, index: int) -> dict[str, str]:
    row = dict.fromkeys(ENTERPRISE_COLUMNS, "")
    place, trade = _identity(row, rng, plan, index)
    key = rng.random() < trade.key_p
    online = rng.random() < (0.9 if key else 0.3)
    row["key_discharger"], row["online_monitoring"] = BOOL[key], BOOL[online]
    permitted = _permit(row, rng, plan, key)
    tier = _credit(row, rng, plan)
    _performance(row, rng, trade)
    _guarantee(row, rng, plan, place, trade)
    row["emergency_risk"] = _risk(rng, key)
    eligible = permitted and online and tier in ("green", "blue") and not trade.excluded
    if eligible and rng.random() < POSITIVE_SHARE:
        _positive(row, rng, plan)
    return row


def generate_enterprises(
    count: int = 5000, *, seed: int = DEFAULT_SEED, today: date
) -> Iterator[dict[str, str]]:
    """Yield ``count`` flat enterprise rows (ENTERPRISE_COLUMNS, CSV strings); lazy and seeded."""
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)
    plan = _plan(rng, today)
    for index in range(count):
        yield _enterprise(rng, plan, index)
