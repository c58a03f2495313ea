"""GraphQL for positive-list membership: admit, remove, current members, history."""
