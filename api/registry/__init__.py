"""GraphQL delivery of the registry: enterprise, inspector and matter types, queries, mutations."""
