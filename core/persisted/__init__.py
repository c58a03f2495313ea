"""Persisted GraphQL documents (automatic persisted queries): models, the shared collection, the service."""
