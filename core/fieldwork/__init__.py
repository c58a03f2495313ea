"""Field work: task dossiers, checklists, offline sync, sign-off and the on-site record."""
