"""HTTP endpoints outside the GraphQL schema: GraphQL transport, auth, health, metrics."""
