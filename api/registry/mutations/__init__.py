"""Registry mutations, one module each, merged into ``RegistryMutation``."""

from __future__ import annotations

import strawberry

from api.registry.mutations import enterprise_import, enterprise_update


@strawberry.type
class RegistryMutation:
    update_enterprise = strawberry.mutation(
        resolver=enterprise_update.update_enterprise,
        description="Edit an enterprise; refused with STALE_VERSION if it changed.")
    import_enterprises = strawberry.mutation(
        resolver=enterprise_import.import_enterprises_mutation,
        description="Upsert enterprises by credit code from CSV or JSON text.")
