"""Signatures of the cross-domain hooks that api/assembly.py injects into the domain services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# Facts of the enterprises matching a query changed (the trigger names why): policies decide again.
# Returns how many decisions changed.
FactsChanged = Callable[[dict[str, Any], str], Awaitable[int]]
