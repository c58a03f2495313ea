"""The profile of the synthetic province: places and trades with their weights, shares, and the draw helpers."""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import TypeVar

from core.reference import tables

T = TypeVar("T")

DEFAULT_SEED = 20261128

KEY_SHARE = 0.15
GUARANTEE_SHARE = 0.03

HEAVY_SECTORS = frozenset({
    "cement", "steel", "coking", "glass", "bricks", "chemical", "petrochemical", "nonferrous",
    "power",
})
LIVELIHOOD_SECTORS = frozenset({
    "food", "livestock", "gas", "heating", "medical", "power", "wastewater",
})
POSITIVE_LIST_EXCLUDED = frozenset({"waste_incineration", "hazardous_waste", "wastewater"})

BOOL = ("false", "true")
HALF_LAT = 1 / 111_320  # degrees of latitude per metre

JURISDICTION_WEIGHTS = {
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


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    prefix: str
    bureau: str
    lon: tuple[float, float]
    lat: tuple[float, float]
    districts: tuple[str, ...]
    metre_lon: float  # degrees of longitude per metre at the box centre


@dataclass(frozen=True)
class Trade:
    code: str
    sector: str
    product: str
    key_p: float
    guarantee_p: float
    heavy: bool
    excluded: bool


@cache
def weighted_places() -> tuple[tuple[Place, ...], tuple[float, ...]]:
    """The province's cities with their cumulative weights."""
    places = []
    for division in tables.divisions().values():
        if division.parent is None:
            continue
        centre = math.radians(sum(division.lat) / 2)
        places.append(Place(
            code=division.code, name=division.name,
            prefix="杨凌" if division.code == "610403" else division.name,
            bureau=f"{division.name}生态环境局", lon=division.lon, lat=division.lat,
            districts=_DISTRICTS.get(division.code, ("城区",)),
            metre_lon=HALF_LAT / math.cos(centre),
        ))
    weights = [JURISDICTION_WEIGHTS.get(place.code, 5) for place in places]
    return tuple(places), tuple(accumulate(weights))


@cache
def weighted_trades() -> tuple[tuple[Trade, ...], tuple[float, ...]]:
    """The industries with their cumulative weights; key-discharger and guarantee chances calibrated overall."""
    # Only the demo's own trades: codes added to the reference table later do not change the generated data.
    industries = [i for i in tables.industries().values() if i.code in _INDUSTRY_WEIGHTS]
    weights = [_INDUSTRY_WEIGHTS[i.code] for i in industries]
    propensity = [_KEY_PROPENSITY.get(i.sector, 1.0) for i in industries]
    weighted = sum(w * p for w, p in zip(weights, propensity, strict=True))
    key_scale = KEY_SHARE * sum(weights) / weighted  # so that KEY_SHARE holds overall
    livelihood = sum(w for i, w in zip(industries, weights, strict=True)
                     if i.sector in LIVELIHOOD_SECTORS)
    guarantee_p = min(1.0, GUARANTEE_SHARE * sum(weights) / livelihood) if livelihood else 0.0
    trades = tuple(
        Trade(
            code=i.code, sector=i.sector, product=_PRODUCTS.get(i.code, i.name),
            key_p=min(1.0, key_scale * p), heavy=i.sector in HEAVY_SECTORS,
            guarantee_p=guarantee_p if i.sector in LIVELIHOOD_SECTORS else 0.0,
            excluded=i.sector in POSITIVE_LIST_EXCLUDED,
        )
        for i, p in zip(industries, propensity, strict=True)
    )
    return trades, tuple(accumulate(weights))


def below(rng: random.Random, n: int) -> int:
    """A uniform integer in [0, n); faster than randrange for small n."""
    return int(rng.random() * n)


def pick_weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """One of ``items`` with chances given by cumulative weights (one draw of the generator)."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]
