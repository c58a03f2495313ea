"""importEnterprises: upsert enterprises from CSV or JSON text; every bad row is reported."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from core.registry.importing import ImportReport
from core.registry.sources import SourceError


@strawberry.enum
class ImportFormat(Enum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


@strawberry.input
class ImportEnterprisesInput:
    format: ImportFormat
    content: str = strawberry.field(description="The file's text (UTF-8); large files go through the CLI")


@strawberry.type
class ImportRowError:
    row: int
    field: str
    code: str
    message: str


@strawberry.type(description="A field that the import changed, and in how many enterprises.")
class ChangedField:
    field: str
    rows: int = strawberry.field(description="How many enterprises of this import changed this field.")


@strawberry.type(description="What an import did; changedFields lists the fields the updated rows changed.")
class ImportResult:
    import_id: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    failed: int
    errors: list[ImportRowError]
    errors_truncated: bool
    changed_fields: list[ChangedField]

    @classmethod
    def from_domain(cls, r: ImportReport) -> ImportResult:
        return cls(import_id=r.import_id, rows=r.rows, inserted=r.inserted, updated=r.updated,
                   unchanged=r.unchanged, failed=r.failed, errors_truncated=r.errors_truncated,
                   changed_fields=[ChangedField(field=k, rows=v) for k, v in sorted(r.changed_fields.items())],
                   errors=[ImportRowError(row=e.row, field=e.field, code=e.code, message=e.message)
                           for e in r.errors])


@strawberry.type
class ImportEnterprisesPayload:
    result: ImportResult | None
    user_errors: list[UserError]


async def import_enterprises_mutation(
    info: Info[Context, None], input: ImportEnterprisesInput
) -> ImportEnterprisesPayload:
    context = info.context
    try:
        report = await context.services.registry.import_text(context.viewer, content=input.content,
                                                             fmt=input.format.value, request_id=context.request_id)
    except SourceError as exc:  # the file as a whole is unreadable (not a DomainError: rows have their own)
        return ImportEnterprisesPayload(
            result=None, user_errors=[UserError(field="content", message=str(exc), code=exc.code)])
    return ImportEnterprisesPayload(result=ImportResult.from_domain(report), user_errors=[])
