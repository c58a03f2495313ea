"""GraphQL for non-site supervision: meters, power alerts, complaints, hotspot grids, drone flights."""
