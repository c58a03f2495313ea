"""Delivery: the Starlette app, the GraphQL schema, auth endpoints, operations endpoints, the CLI."""
