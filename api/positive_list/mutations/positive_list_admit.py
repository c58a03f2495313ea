"""admitToPositiveList: a supervisor admits a batch of eligible enterprises for a period."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.positive_list.types import PositiveListChange
from core.positive_list.models import Batch, MembershipChange
from core.positive_list.service import Admission


@strawberry.input
class AdmitToPositiveListInput:
    credit_codes: list[str] = strawberry.field(description="1 to 200 enterprises, each eligible today")
    batch_name: str = strawberry.field(description="The batch as published, e.g. 西安市2026年第一批")
    batch_number: str = strawberry.field(description="The number of the batch decision, e.g. 市环函〔2026〕12号")
    valid_from: date
    valid_to: date | None = strawberry.field(default=None, description="Default: 3 years from validFrom")
    reason: str = ""


@strawberry.type
class AdmitToPositiveListPayload:
    changes: list[PositiveListChange]
    user_errors: list[UserError]


def _admitted(changes: list[MembershipChange]) -> AdmitToPositiveListPayload:
    return AdmitToPositiveListPayload(changes=[PositiveListChange.from_domain(c) for c in changes], user_errors=[])


async def admit_to_positive_list(info: Info[Context, None],
                                 input: AdmitToPositiveListInput) -> AdmitToPositiveListPayload:
    context = info.context
    admission = Admission(credit_codes=input.credit_codes, batch=Batch(name=input.batch_name,
                                                                       number=input.batch_number),
                          valid_from=input.valid_from, valid_to=input.valid_to, reason=input.reason)
    return await payload(
        context.services.positive_list.admit(context.viewer, admission, request_id=context.request_id),
        ok=_admitted, refused=lambda errors: AdmitToPositiveListPayload(changes=[], user_errors=errors))
