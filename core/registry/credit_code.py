"""Unified social credit code (统一社会信用代码, GB 32100-2015): check character and generation."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
_VALUE = {char: value for value, char in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({char for char in code if char not in _VALUE})
    if bad:
        return f"contains characters outside the GB 32100 alphabet: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3-8 must be the administrative division code"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected}"
    return None


def complete(first17: str) -> str:
    """Append the check character to 17 leading characters."""
    return first17 + check_character(first17)
