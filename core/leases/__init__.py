"""Leases, so that one replica runs each periodic job, and the record of job runs (storage in repository.py)."""

from core.leases.repository import COLLECTIONS, acquire, forget, mark_done, release

__all__ = ["COLLECTIONS", "acquire", "forget", "mark_done", "release"]
