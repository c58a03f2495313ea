"""Which audit entries a viewer may read: administrators all, supervisors those of actors in their scope."""

from __future__ import annotations

from core.accounts.models import Viewer
from core.accounts.roles import ADMINS, SUPERVISORS
from core.audit.models import AuditScope
from core.errors import PermissionDenied


def audit_scope(viewer: Viewer) -> AuditScope:
    """The scope of the audit log for ``viewer`` (the access table admits only supervisors and administrators;
    this refuses anyone else again, for the HTTP export)."""
    if viewer.has_any(ADMINS):
        return AuditScope(everything=True)
    if viewer.has_any(SUPERVISORS):
        return AuditScope(everything=False, jurisdictions=viewer.jurisdictions)
    raise PermissionDenied("the audit log is for supervisors and administrators")
