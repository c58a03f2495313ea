"""Domain and storage shared by every delivery: config, database, errors, domain packages."""
