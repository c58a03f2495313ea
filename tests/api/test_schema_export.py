"""docs/schema.graphql must match the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from api.graphql.permissions import ACCESS
from api.graphql.schema import build_schema, export_sdl
from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_exported_schema_is_current() -> None:
    exported = (ROOT / "docs" / "schema.graphql").read_text(encoding="utf-8")
    assert exported == export_sdl(Settings()), "docs/schema.graphql is stale: run `ecoinspect schema`"


def test_every_root_field_has_an_access_rule() -> None:
    schema = build_schema(Settings())._schema
    roots = {f"{t.name}.{name}" for t in (schema.query_type, schema.mutation_type) if t
             for name in t.fields}
    assert roots == set(ACCESS)
