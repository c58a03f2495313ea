"""GraphQL delivery: schema, HTTP endpoint, access table, limits, relay helpers."""
