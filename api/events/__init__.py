"""GraphQL for enterprise events and penalty recommendations."""
