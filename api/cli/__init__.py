"""The ``ecoinspect`` command line: serve, demo, import, user, db, schema."""
