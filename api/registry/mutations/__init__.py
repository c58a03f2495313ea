"""Registry mutations, one module each, merged into ``RegistryMutation``."""

from __future__ import annotations

import strawberry

from api.registry.mutations import enterprise_import, enterprise_update, inspector_save, matter_save


@strawberry.type
class RegistryMutation:
    update_enterprise = strawberry.mutation(
        resolver=enterprise_update.update_enterprise,
        description="Edit an enterprise; refused with STALE_VERSION if it changed.")
    import_enterprises = strawberry.mutation(
        resolver=enterprise_import.import_enterprises_mutation,
        description="Upsert enterprises by credit code from CSV or JSON text.")
    create_inspector = strawberry.mutation(
        resolver=inspector_save.create_inspector,
        description="Add an inspector to the inspector database (within your jurisdictions).")
    update_inspector = strawberry.mutation(
        resolver=inspector_save.update_inspector,
        description="Change an inspector's certificate, posts (jurisdictions), name or on-post state; refused with "
                    "STALE_VERSION if it changed.")
    deactivate_inspector = strawberry.mutation(
        resolver=inspector_save.deactivate_inspector,
        description="Take an inspector off post (drawn for no new task), with a reason.")
    declare_conflict = strawberry.mutation(
        resolver=inspector_save.declare_conflict,
        description="Declare an inspector's conflict of interest with an enterprise: never drawn for it.")
    withdraw_conflict = strawberry.mutation(
        resolver=inspector_save.withdraw_conflict,
        description="Withdraw a declared conflict of interest.")
    create_matter = strawberry.mutation(
        resolver=matter_save.create_matter,
        description="Add a matter to the random-check item list (province supervisors and admins).")
    update_matter = strawberry.mutation(
        resolver=matter_save.update_matter,
        description="Change a matter of the list (its code stays).")
