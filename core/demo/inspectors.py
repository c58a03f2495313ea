"""Deterministic synthetic inspectors (flat rows), about one per 30 enterprises; the demo logins' two included."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from core.demo.profile import BOOL, DEFAULT_SEED, JURISDICTION_WEIGHTS, weighted_places
from core.reference import tables
from core.registry.rows import INSPECTOR_COLUMNS

# Staff ids of the demo logins inspector1 and inspector2, in that order (Xi'an, certified, on post).
DEMO_INSPECTORS: tuple[str, str] = ("SX-610100-0001", "SX-610100-0002")
DEMO_JURISDICTION = "610100"
ENTERPRISES_PER_INSPECTOR = 30
PROVINCE_INSPECTOR_SHARE = 0.02

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈彭吕苏蒋贾魏薛"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建国文辉鹏飞宇浩婷雪琳晨阳博斌峰亮"


def _inspector_quotas(enterprise_count: int) -> list[tuple[str, int]]:
    """(jurisdiction, headcount): about one per 30 enterprises, at least 2 everywhere."""
    total = max(1, round(enterprise_count / ENTERPRISES_PER_INSPECTOR))
    province = max(2, round(total * PROVINCE_INSPECTOR_SHARE))
    places, _ = weighted_places()
    weights = [JURISDICTION_WEIGHTS.get(place.code, 5) for place in places]
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
        "certificate_expires": expires.isoformat(), "on_post": BOOL[on_post],
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
