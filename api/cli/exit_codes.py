"""The exit codes of ``ecoinspect``, one list (the README's table is this list)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # refused ([CODE] message), a check found a mismatch, a file or the database unusable
    USAGE = 2  # unknown command or option, a missing or malformed argument (click's own code)
    ROWS_REJECTED = 3  # an import finished but rejected some rows
    CONFIG = 78  # an ECOINSPECT_* (or PORT, MONGODB_URI) value is invalid: sysexits' EX_CONFIG
