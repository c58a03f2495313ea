"""City-level policies: a city's rule author creates the city's own policy of a kind (a draft copied from the
province's), the city's enterprises are decided by it once it is in force and by the province's otherwise, and
explainDecision names the policy that applied (jurisdiction and version)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_draws import seed
from test_policies import BOB, stricter

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.policies.service import PolicyService
from core.reference import tables
from rules.policy_engine import RulesEngine

TODAY = datetime.now(UTC).date()
XIAN = "610100"
PROVINCE = "supervision_class:610000"
CITY = f"supervision_class:{XIAN}"
XIAN_AUTHOR = Viewer(username="xa_author", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=(XIAN,))
XIAN_APPROVER = Viewer(username="xa_chief", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=(XIAN,))
CASE = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
        "verified_complaints_12m": 0, "key_discharger": True, "online_monitoring": False}


@pytest.fixture
async def service(database: Database) -> PolicyService:
    await seed(database, 300)
    service = PolicyService(database, engine=RulesEngine())
    await service.install_default_packs()
    await service.redecide_all(trigger="seed")
    return service


async def test_a_city_author_creates_only_for_their_city(service: PolicyService) -> None:
    draft = await service.create_policy(XIAN_AUTHOR, kind="supervision_class", jurisdiction=XIAN)
    assert (draft.id, draft.status.value, draft.parent) == (f"{CITY}:v1", "draft", f"{PROVINCE}:v1")
    assert draft.content == (await service.version(f"{PROVINCE}:v1")).content
    policy = await service.policy(CITY)
    assert (policy.kind, policy.jurisdiction, policy.active_version) == ("supervision_class", XIAN, None)
    with pytest.raises(Conflict):  # one policy of a kind per jurisdiction
        await service.create_policy(XIAN_AUTHOR, kind="supervision_class", jurisdiction=XIAN)
    with pytest.raises(PermissionDenied):  # another city
        await service.create_policy(XIAN_AUTHOR, kind="positive_list", jurisdiction="610300")
    supervisor = Viewer(username="xa_sup", roles=frozenset({Role.SUPERVISOR}), jurisdictions=(XIAN,))
    with pytest.raises(PermissionDenied):  # not a rule author
        await service.create_policy(supervisor, kind="positive_list", jurisdiction=XIAN)
    for kind, where, field in [("supervision_class", "610000", "jurisdiction"),  # the province's come with the code
                               ("supervision_class", "999999", "jurisdiction"), ("colour", XIAN, "kind"),
                               ("heavy_pollution_measures", XIAN, "kind")]:
        with pytest.raises(ValidationFailed) as caught:
            await service.create_policy(BOB, kind=kind, jurisdiction=where)
        assert caught.value.errors[0].field == field


async def test_city_policy_decides_its_enterprises_and_the_province_the_rest(database: Database,
                                                                            service: PolicyService) -> None:
    draft = await service.create_policy(XIAN_AUTHOR, kind="supervision_class", jurisdiction=XIAN)
    codes = {d["credit_code"]: d["jurisdiction"] async for d in database["enterprises"].find({})}
    in_xian = {c for c, j in codes.items() if tables.is_within(j, XIAN)}
    assert in_xian and set(codes) - in_xian
    xian_code = sorted(in_xian)[0]
    # A draft is not in force: Xi'an falls back to the province's policy.
    explained = await service.explain(XIAN_AUTHOR, credit_code=xian_code, policy_id=CITY, at=TODAY)
    assert explained is not None and (explained.policy_id, explained.jurisdiction, explained.version) == (
        PROVINCE, "610000", f"{PROVINCE}:v1")

    draft = await service.update_draft(XIAN_AUTHOR, draft.id, stricter(draft.content), reason="Xi'an rule")
    await service.add_golden_case(XIAN_AUTHOR, draft.id, facts=CASE, expected={"class": "special"})
    await service.submit(XIAN_AUTHOR, draft.id)
    await service.approve(XIAN_APPROVER, draft.id)
    await service.activate(XIAN_APPROVER, draft.id, effective_from=TODAY)
    refresh = await service.refresh_of(draft.id)
    assert refresh is not None and refresh.state == "done" and refresh.evaluated == len(in_xian)

    stored = await service.current_decisions(list(codes))
    versions = {code: stored[code]["supervision_class"]["version"] for code in codes}
    assert {versions[c] for c in in_xian} == {draft.id}
    assert {versions[c] for c in set(codes) - in_xian} == {f"{PROVINCE}:v1"}
    for code, expected in ((xian_code, (CITY, XIAN, draft.id)),
                           (sorted(set(codes) - in_xian)[0], (PROVINCE, "610000", f"{PROVINCE}:v1"))):
        explained = await service.explain(BOB, credit_code=code, policy_id=PROVINCE, at=TODAY)
        assert explained is not None and (explained.policy_id, explained.jurisdiction, explained.version) == expected
    # A full re-decision keeps the same split (the province's policy does not overwrite the city's).
    await service.redecide_all(trigger="again")
    again = await service.current_decisions(list(codes))
    assert {again[c]["supervision_class"]["version"] for c in in_xian} == {draft.id}
