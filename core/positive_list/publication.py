"""The one public record of the positive list (一公开): current members and the history of changes.

The public page, its CSV and JSON downloads are all made from these rows. Who recorded a change
(a staff account) and the request that carried it are not published.
"""

from __future__ import annotations

from typing import Any

from core.positive_list.models import Member, MembershipChange

MEMBER_COLUMNS = ["credit_code", "enterprise_name", "jurisdiction", "valid_from", "valid_to", "batch_name",
                  "batch_number"]
CHANGE_COLUMNS = ["effective_on", "action", "cause", "credit_code", "enterprise_name", "jurisdiction",
                  "batch_name", "batch_number", "valid_from", "valid_to", "reason", "basis"]


def member_row(member: Member) -> dict[str, Any]:
    batch = member.admission.batch if member.admission else None
    return {"credit_code": member.credit_code, "enterprise_name": member.enterprise_name,
            "jurisdiction": member.jurisdiction, "valid_from": member.valid_from.isoformat(),
            "valid_to": member.valid_to.isoformat(), "batch_name": batch.name if batch else "",
            "batch_number": batch.number if batch else ""}


def change_row(change: MembershipChange) -> dict[str, Any]:
    return {"effective_on": change.effective_on.isoformat(), "action": change.action.value,
            "cause": change.cause.value, "credit_code": change.credit_code,
            "enterprise_name": change.enterprise_name, "jurisdiction": change.jurisdiction,
            "batch_name": change.batch.name if change.batch else "",
            "batch_number": change.batch.number if change.batch else "",
            "valid_from": change.valid_from.isoformat() if change.valid_from else "",
            "valid_to": change.valid_to.isoformat() if change.valid_to else "",
            "reason": change.reason, "basis": change.basis}


def public_record(members: list[Member], changes: list[MembershipChange]) -> dict[str, Any]:
    return {"members": [member_row(m) for m in members], "history": [change_row(c) for c in changes]}
