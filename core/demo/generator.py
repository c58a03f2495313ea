"""Deterministic synthetic Shaanxi enterprises and inspectors (flat rows), and the demo matters."""

from __future__ import annotations

import json
import math
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import accumulate
from typing import Any

from core.reference import tables
from core.registry import credit_code
from core.registry.rows import ENTERPRISE_COLUMNS, INSPECTOR_COLUMNS

DEFAULT_SEED = 20261128
# Staff ids of the demo logins inspector1 and inspector2, in that order (Xi'an, certified, on post).
DEMO_INSPECTORS: tuple[str, str] = ("SX-610100-0001", "SX-610100-0002")
DEMO_JURISDICTION = "610100"
PROVINCE_APPROVER = "陕西省生态环境厅"

# Guangdong 2017 shares (DOMAIN §2) among rated enterprises; the rest are unrated.
TIER_SHARES = {"red": 0.0245, "yellow": 0.10, "blue": 0.7368, "green": 0.1387}
RATED_SHARE = 0.80
DRAFT_SHARE = 0.05  # rated but still under public notice (published=false)
KEY_SHARE = 0.15
GUARANTEE_SHARE = 0.03
BOUNDARY_SHARE = 0.10
POSITIVE_SHARE = 0.08  # of eligible green/blue enterprises
GRADE_SHARES = {"A+": 0.02, "A": 0.10, "B": 0.35, "C": 0.40, "D": 0.13}
LEADING_SHARE = 0.20
ENTERPRISES_PER_INSPECTOR = 30
PROVINCE_INSPECTOR_SHARE = 0.02

HEAVY_SECTORS = frozenset({
    "cement", "steel", "coking", "glass", "bricks", "chemical", "petrochemical", "nonferrous",
    "power",
})
LIVELIHOOD_SECTORS = frozenset({
    "food", "livestock", "gas", "heating", "medical", "power", "wastewater",
})
POSITIVE_LIST_EXCLUDED = frozenset({"waste_incineration", "hazardous_waste", "wastewater"})

_BOOL = ("false", "true")
_SPAN = 1900  # days either side of today covered by the date-string cache
_TRIPLE = 31**3
_ORG_SPACE = _TRIPLE**3
_HALF_LAT = 1 / 111_320  # degrees of latitude per metre

_JURISDICTION_WEIGHTS = {
    "610100": 25, "610200": 4, "610300": 9, "610400": 9, "610500": 9, "610600": 6, "610700": 7,
    "610800": 9, "610900": 5, "611000": 4, "610403": 2, "611100": 8, "610581": 3,
}
_INDUSTRY_WEIGHTS = {
    "0313": 6, "1351": 3, "1391": 2, "1513": 1, "1713": 2, "1910": 1, "2221": 2, "2511": 1,
    "2521": 2, "2614": 3, "2621": 1, "2641": 3, "2710": 3, "2927": 8, "3011": 3, "3031": 6,
    "3042": 1, "3110": 1, "3120": 1, "3216": 1, "3360": 7, "3670": 9, "3971": 7, "4411": 2,
    "4430": 4, "4511": 3, "4620": 4, "7724": 1, "7820": 2, "8411": 8,
}
_PRODUCTS = {
    "0313": "牧业", "1351": "肉食品", "1391": "淀粉", "1513": "啤酒", "1713": "印染",
    "1910": "皮革", "2221": "纸业", "2511": "石油化工", "2521": "焦化", "2614": "化工",
    "2621": "化肥", "2641": "涂料", "2710": "制药", "2927": "塑料制品", "3011": "水泥",
    "3031": "新型建材", "3042": "玻璃", "3110": "钢铁", "3120": "特钢", "3216": "铝业",
    "3360": "表面处理", "3670": "汽车零部件", "3971": "电子科技", "4411": "热电",
    "4430": "热力", "4511": "燃气", "4620": "水务", "7724": "环保科技", "7820": "环境能源",
    "8411": "医院",
}
# Relative chance of being a key discharger (重点排污单位), calibrated to KEY_SHARE overall.
_KEY_PROPENSITY = {
    **dict.fromkeys(HEAVY_SECTORS, 4.0),
    **dict.fromkeys(("hazardous_waste", "waste_incineration", "wastewater", "paper"), 4.0),
    **dict.fromkeys(("pharmaceutical", "leather", "textile", "surface_treatment"), 2.5),
}
_DISTRICTS = {
    "610100": ("未央区", "雁塔区", "长安区", "高陵区", "鄠邑区", "临潼区", "阎良区", "灞桥区"),
    "610200": ("王益区", "印台区", "耀州区"),
    "610300": ("渭滨区", "金台区", "陈仓区", "凤翔区"),
    "610400": ("秦都区", "渭城区", "三原县", "泾阳县"),
    "610500": ("临渭区", "华州区", "蒲城县", "富平县"),
    "610600": ("宝塔区", "安塞区", "延长县"),
    "610700": ("汉台区", "南郑区", "勉县", "城固县"),
    "610800": ("榆阳区", "横山区", "神木市", "府谷县"),
    "610900": ("汉滨区", "旬阳市", "平利县"),
    "611000": ("商州区", "洛南县", "丹凤县"),
    "610403": ("杨陵区",),
    "611100": ("沣东新城", "沣西新城", "秦汉新城", "空港新城", "泾河新城"),
    "610581": ("新城街道", "龙门镇", "西庄镇"),
}
_ROADS = (
    "工业园区创业路", "高新路", "科技二路", "发展大道", "建设路", "长安路", "纬二路", "经三路",
    "园区大道", "迎宾大道", "东风路", "滨河路", "开发区北环路", "新材料产业园纬一路",
)
_BRAND = "华鑫泰隆盛达丰源宏远恒昌瑞兴秦汉金星新永中天宝利通康德正祥和凯博信诚润嘉益"
_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
_SUFFIX_CW = tuple(accumulate((6, 2, 1, 1)))
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈彭吕苏蒋贾魏薛"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建国文辉鹏飞宇浩婷雪琳晨阳博斌峰亮"
_TIERS = tuple(TIER_SHARES)
_TIER_CW = tuple(accumulate(TIER_SHARES.values()))
_GRADES = tuple(GRADE_SHARES)
_GRADE_CW = tuple(accumulate(GRADE_SHARES.values()))
_RISKS = ("general", "larger", "major")
_KEY_RISK_CW = (0.70, 0.95, 1.0)
_OTHER_RISK_CW = (0.37, 0.40, 0.40)  # the remaining 60 % have no risk level


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    prefix: str
    bureau: str
    lon: tuple[float, float]
    lat: tuple[float, float]
    districts: tuple[str, ...]
    metre_lon: float  # degrees of longitude per metre at the box centre


@dataclass(frozen=True)
class _Trade:
    code: str
    sector: str
    product: str
    key_p: float
    guarantee_p: float
    heavy: bool
    excluded: bool


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


@cache
def _places() -> tuple[tuple[_Place, ...], tuple[float, ...]]:
    places = []
    for division in tables.divisions().values():
        if division.parent is None:
            continue
        centre = math.radians(sum(division.lat) / 2)
        places.append(_Place(
            code=division.code, name=division.name,
            prefix="杨凌" if division.code == "610403" else division.name,
            bureau=f"{division.name}生态环境局", lon=division.lon, lat=division.lat,
            districts=_DISTRICTS.get(division.code, ("城区",)),
            metre_lon=_HALF_LAT / math.cos(centre),
        ))
    weights = [_JURISDICTION_WEIGHTS.get(place.code, 5) for place in places]
    return tuple(places), tuple(accumulate(weights))


@cache
def _trades() -> tuple[tuple[_Trade, ...], tuple[float, ...]]:
    industries = list(tables.industries().values())
    weights = [_INDUSTRY_WEIGHTS.get(i.code, 2) for i in industries]
    propensity = [_KEY_PROPENSITY.get(i.sector, 1.0) for i in industries]
    weighted = sum(w * p for w, p in zip(weights, propensity, strict=True))
    key_scale = KEY_SHARE * sum(weights) / weighted  # so that KEY_SHARE holds overall
    livelihood = sum(w for i, w in zip(industries, weights, strict=True)
                     if i.sector in LIVELIHOOD_SECTORS)
    guarantee_p = min(1.0, GUARANTEE_SHARE * sum(weights) / livelihood) if livelihood else 0.0
    trades = tuple(
        _Trade(
            code=i.code, sector=i.sector, product=_PRODUCTS.get(i.code, i.name),
            key_p=min(1.0, key_scale * p), heavy=i.sector in HEAVY_SECTORS,
            guarantee_p=guarantee_p if i.sector in LIVELIHOOD_SECTORS else 0.0,
            excluded=i.sector in POSITIVE_LIST_EXCLUDED,
        )
        for i, p in zip(industries, propensity, strict=True)
    )
    return trades, tuple(accumulate(weights))


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


def _below(rng: random.Random, n: int) -> int:
    """A uniform integer in [0, n); faster than randrange for small n."""
    return int(rng.random() * n)


def _pick(rng: random.Random, items: Sequence[Any], cum_weights: Sequence[float]) -> Any:
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def _credit_code(plan: _Plan, index: int, jurisdiction: str) -> str:
    """'91' + division + a 9-char org code that is a bijection of the index, + check char."""
    org = _org_code((index * plan.multiplier + plan.offset) % _ORG_SPACE)
    return credit_code.complete(f"91{jurisdiction}{org}")


def _name(rng: random.Random, place: _Place, trade: _Trade) -> str:
    size = len(_BRAND)
    pick = _below(rng, size * size)
    brand = _BRAND[pick // size] + _BRAND[pick % size]
    prefix = "陕西" if rng.random() < 0.12 else place.prefix
    if trade.product == "医院":
        return f"{prefix}{brand}医院"
    return f"{prefix}{brand}{trade.product}{_pick(rng, _SUFFIXES, _SUFFIX_CW)}"


def _address(rng: random.Random, place: _Place) -> str:
    district = place.districts[_below(rng, len(place.districts))]
    return f"陕西省{place.name}{district}{_ROADS[_below(rng, len(_ROADS))]}{1 + _below(rng, 999)}号"


def _square(lon: float, lat: float, half_metres: float, metre_lon: float) -> str:
    dx, dy = half_metres * metre_lon, half_metres * _HALF_LAT
    west, east = round(lon - dx, 6), round(lon + dx, 6)
    south, north = round(lat - dy, 6), round(lat + dy, 6)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _locate(row: dict[str, str], rng: random.Random, place: _Place) -> None:
    lon = round(rng.uniform(*place.lon), 6)
    lat = round(rng.uniform(*place.lat), 6)
    row["lon"], row["lat"] = f"{lon:.6f}", f"{lat:.6f}"
    if rng.random() < BOUNDARY_SHARE:
        row["boundary"] = _square(lon, lat, rng.uniform(80, 120), place.metre_lon)


def _identity(
    row: dict[str, str], rng: random.Random, plan: _Plan, index: int
) -> tuple[_Place, _Trade]:
    places, place_cw = _places()
    trades, trade_cw = _trades()
    place = _pick(rng, places, place_cw)
    trade = _pick(rng, trades, trade_cw)
    row["credit_code"] = _credit_code(plan, index, place.code)
    row["name"] = _name(rng, place, trade)
    row["jurisdiction"], row["industry_code"] = place.code, trade.code
    row["address"] = _address(rng, place)
    _locate(row, rng, place)
    return place, trade


def _permit(row: dict[str, str], rng: random.Random, plan: _Plan, key: bool) -> bool:
    if rng.random() >= (0.98 if key else 0.827):  # about 85 % overall
        return False
    start = -_below(rng, 5 * 365 + 60)  # 5-year permits; a few lapsed up to two months ago
    row["permit_number"] = f"{row['credit_code']}001P"  # credit code + serial + P
    row["permit_valid_from"], row["permit_valid_to"] = plan.period(start, 5)
    return True


def _credit(row: dict[str, str], rng: random.Random, plan: _Plan) -> str:
    if rng.random() >= RATED_SHARE:
        return ""
    tier = _pick(rng, _TIERS, _TIER_CW)
    draft = rng.random() < DRAFT_SHARE
    age = _below(rng, 15) if draft else _below(rng, 730)  # drafts are on ~15-day notice
    row["credit_tier"], row["credit_rated_on"] = tier, plan.day(-age)
    row["credit_published"] = _BOOL[not draft]
    return tier


def _performance(row: dict[str, str], rng: random.Random, trade: _Trade) -> None:
    if trade.heavy:
        row["performance_grade"] = _pick(rng, _GRADES, _GRADE_CW)
        row["performance_leading"] = "false"
    else:
        row["performance_grade"] = "none"
        row["performance_leading"] = _BOOL[rng.random() < LEADING_SHARE]


def _guarantee(
    row: dict[str, str], rng: random.Random, plan: _Plan, place: _Place, trade: _Trade
) -> None:
    if rng.random() >= trade.guarantee_p:
        return
    start = -_below(rng, 400)  # 1-year approvals; a few have already run out
    row["guarantee_approved_by"] = PROVINCE_APPROVER if rng.random() < 0.3 else place.bureau
    row["guarantee_valid_from"], row["guarantee_valid_to"] = plan.period(start, 1)


def _risk(rng: random.Random, key: bool) -> str:
    draw = rng.random()
    bounds = _KEY_RISK_CW if key else _OTHER_RISK_CW
    return next((risk for risk, bound in zip(_RISKS, bounds, strict=True) if draw < bound), "")


def _positive(row: dict[str, str], rng: random.Random, plan: _Plan) -> None:
    start = -_below(rng, 3 * 365 + 90)  # 3-year entries; a few expired up to 90 days ago
    row["positive_list_from"], row["positive_list_to"] = plan.period(start, 3)


def _enterprise(rng: random.Random, plan: _Plan, index: int) -> dict[str, str]:
    row = dict.fromkeys(ENTERPRISE_COLUMNS, "")
    place, trade = _identity(row, rng, plan, index)
    key = rng.random() < trade.key_p
    online = rng.random() < (0.9 if key else 0.3)
    row["key_discharger"], row["online_monitoring"] = _BOOL[key], _BOOL[online]
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


def _inspector_quotas(enterprise_count: int) -> list[tuple[str, int]]:
    """(jurisdiction, headcount): about one per 30 enterprises, at least 2 everywhere."""
    total = max(1, round(enterprise_count / ENTERPRISES_PER_INSPECTOR))
    province = max(2, round(total * PROVINCE_INSPECTOR_SHARE))
    places, _ = _places()
    weights = [_JURISDICTION_WEIGHTS.get(place.code, 5) for place in places]
    rest = max(total - province, 0)
    quotas = [
        (place.code, max(2, round(rest * w / sum(weights))))
        for place, w in zip(places, weights, strict=True)
    ]
    return [(tables.root_code(), province), *quotas]


def _person(rng: random.Random) -> str:
    given = _GIVEN[rng.randrange(len(_GIVEN))]
    if rng.random() < 0.7:
        given += _GIVEN[rng.randrange(len(_GIVEN))]
    return _SURNAMES[rng.randrange(len(_SURNAMES))] + given


def _inspector(
    rng: random.Random, today: date, jurisdiction: str, serial: int, sample: Sequence[str]
) -> dict[str, str]:
    if rng.random() < 0.05:
        expires = today - timedelta(days=rng.randint(1, 365))
    else:
        expires = today + timedelta(days=rng.randint(30, 1825))
    scope = jurisdiction
    if jurisdiction == DEMO_JURISDICTION and rng.random() < 0.1:
        scope += ";611100"  # Xi'an staff also cover the Xixian New Area it administers
    on_post = rng.random() >= 0.05
    conflict_draw, conflict_pick = rng.random(), rng.randrange(1 << 30)
    conflicts = sample[conflict_pick % len(sample)] if sample and conflict_draw < 0.03 else ""
    return {
        "staff_id": f"SX-{jurisdiction}-{serial:04d}", "name": _person(rng),
        "certificate_number": f"{jurisdiction}{expires.year - 5}{serial:05d}",
        "certificate_expires": expires.isoformat(), "on_post": _BOOL[on_post],
        "jurisdictions": scope, "conflicts": conflicts,
    }


def _demo_fields(today: date) -> dict[str, str]:
    expires = today + timedelta(days=3 * 365)
    return {
        "certificate_expires": expires.isoformat(), "on_post": "true",
        "jurisdictions": DEMO_JURISDICTION, "conflicts": "",
    }


def generate_inspectors(
    enterprise_count: int,
    *,
    seed: int = DEFAULT_SEED,
    today: date,
    enterprise_codes_sample: list[str] | None = None,
) -> Iterator[dict[str, str]]:
    """Yield inspector rows (INSPECTOR_COLUMNS); always includes DEMO_INSPECTORS, usable."""
    rng = random.Random(seed)
    sample = list(enterprise_codes_sample or ())
    for jurisdiction, quota in _inspector_quotas(enterprise_count):
        for serial in range(1, quota + 1):
            row = _inspector(rng, today, jurisdiction, serial, sample)
            if row["staff_id"] in DEMO_INSPECTORS:
                row.update(_demo_fields(today))
            yield {column: row[column] for column in INSPECTOR_COLUMNS}


@cache
def _matters_text() -> str:
    return resources.files(__package__).joinpath("matters.json").read_text(encoding="utf-8")


def matters() -> list[dict[str, Any]]:
    """The demo random-check item list (抽查事项); a fresh copy on every call."""
    return list(json.loads(_matters_text())["matters"])
