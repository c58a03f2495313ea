"""The demo logins: who they are, where they work, and the viewer each one is."""

from __future__ import annotations

from core.accounts.models import Role, Viewer
from core.accounts.roles import ADMINS
from core.demo.inspectors import DEMO_INSPECTORS

DEMO_PASSWORD = "ecoinspect-demo"
SYSTEM = Viewer(username="demo", roles=ADMINS, jurisdictions=("610000",))
PROVINCE = "610000"
XIAN = "610100"
DEMO_USERS = [
    ("supervisor1", [Role.SUPERVISOR], [PROVINCE], None, "省级科室负责人 (whole province)"),
    ("inspector1", [Role.INSPECTOR], [XIAN], DEMO_INSPECTORS[0], "西安执法人员 (Xi'an only)"),
    ("inspector2", [Role.INSPECTOR], [XIAN], DEMO_INSPECTORS[1], "西安执法人员 (Xi'an only)"),
    ("author1", [Role.RULE_AUTHOR], [PROVINCE], None, "法规/政策人员 (rule author)"),
    ("lawyer1", [Role.LEGAL_REVIEWER], [PROVINCE], None, "法制审核人员 (legal reviewer)"),
    ("admin1", [Role.ADMIN], [PROVINCE], None, "administrator"),
]


def demo_viewer(username: str) -> Viewer:
    """The viewer a demo login is once signed in (the demo cases are recorded in their names)."""
    name, roles, jurisdictions, inspector_id, _label = next(u for u in DEMO_USERS if u[0] == username)
    return Viewer(username=name, roles=frozenset(roles), jurisdictions=tuple(jurisdictions), inspector_id=inspector_id)
