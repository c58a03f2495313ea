"""GraphQL delivery of heavy-pollution alerts and their measures."""
