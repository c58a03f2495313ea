"""Positive-list mutations, one module each, merged into ``PositiveListMutation``."""

from __future__ import annotations

import strawberry

from api.positive_list.mutations import positive_list_admit, positive_list_remove


@strawberry.type
class PositiveListMutation:
    admit_to_positive_list = strawberry.mutation(
        resolver=positive_list_admit.admit_to_positive_list,
        description="Admit a batch of eligible enterprises to the positive list (正面清单) for a period: all of "
                    "them, or none with a userError per refused enterprise.")
    remove_from_positive_list = strawberry.mutation(
        resolver=positive_list_remove.remove_from_positive_list,
        description="Remove a member from the positive list by decision, with the reason and the day it takes "
                    "effect (members who stop being eligible are removed automatically).")
