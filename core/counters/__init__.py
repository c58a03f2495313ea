"""Named sequence counters that hand out blocks of numbers (storage in repository.py)."""

from core.counters.repository import COLLECTIONS, current, reserve

__all__ = ["COLLECTIONS", "current", "reserve"]
