"""GraphQL for field work: dossiers, checklists, offline sync and the supervisor's view."""
