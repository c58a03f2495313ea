"""Reference tables: administrative divisions (jurisdictions) and industry codes."""
