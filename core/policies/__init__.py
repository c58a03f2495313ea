"""Stored policies and their versions, golden cases and the append-only change log."""
