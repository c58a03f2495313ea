"""Non-site supervision: electricity meters and anomalies, drone flights, complaints and hotspot grids."""
