"""Every collection the application uses, for idempotent set-up at start."""

from __future__ import annotations

from core import counters, leases
from core.accounts import repository as accounts
from core.alerts import repository as alerts
from core.audit import repository as audit
from core.cases import repository as cases
from core.config import Settings
from core.db import CollectionSpec
from core.events import repository as events
from core.evidence import repository as evidence
from core.evidence.tus import repository as tus
from core.fieldwork import repository as fieldwork
from core.inspections import repository as inspections
from core.nonsite import repository as nonsite
from core.persisted import repository as persisted
from core.policies import repository as policies
from core.positive_list import repository as positive_list
from core.registry import repository as registry


def collections(settings: Settings) -> list[CollectionSpec]:
    """Every collection with its indexes; a function, since some indexes (TTLs) follow the settings, which are
    never read at import."""
    return [
        *counters.COLLECTIONS, *accounts.COLLECTIONS, *audit.COLLECTIONS, *registry.COLLECTIONS,
        *inspections.COLLECTIONS, *leases.COLLECTIONS, *policies.COLLECTIONS, *alerts.COLLECTIONS,
        *events.COLLECTIONS, *fieldwork.collections(settings), *evidence.COLLECTIONS, *tus.COLLECTIONS,
        *nonsite.COLLECTIONS, *cases.COLLECTIONS, *persisted.COLLECTIONS, *positive_list.COLLECTIONS,
    ]
