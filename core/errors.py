"""The domain error tree; every error carries a stable code (``core.error_codes.ErrorCode``) that clients can act on.

DomainError            DOMAIN_ERROR, or the code it is given
├── ValidationFailed   INVALID_INPUT and field-specific codes
├── NotFound           NOT_FOUND
├── Conflict           CONFLICT, STALE_VERSION, ID_CONFLICT, and the codes of refused steps
├── PermissionDenied   FORBIDDEN
├── Unauthenticated    UNAUTHENTICATED, INVALID_TOKEN, TOKEN_EXPIRED
├── AccountLocked      ACCOUNT_LOCKED
├── TooManyAttempts    TOO_MANY_ATTEMPTS (logins from one client address)
└── Unavailable        UNAVAILABLE (the database cannot be reached: retry later)
"""

from __future__ import annotations

from dataclasses import dataclass

from core.error_codes import ErrorCode


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: ErrorCode


class DomainError(Exception):
    code: ErrorCode = ErrorCode.DOMAIN_ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def as_field_errors(self) -> list[FieldError]:
        return [FieldError(field=self.field or "", message=self.message, code=self.code)]


class ValidationFailed(DomainError):
    code = ErrorCode.INVALID_INPUT

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0] if errors else FieldError("", "invalid input", self.code)
        super().__init__(first.message, code=first.code, field=first.field)
        self.errors = errors

    def as_field_errors(self) -> list[FieldError]:
        return list(self.errors)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class StaleVersion(Conflict):
    code = ErrorCode.STALE_VERSION


class PermissionDenied(DomainError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class AccountLocked(DomainError):
    code = ErrorCode.ACCOUNT_LOCKED


class TooManyAttempts(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS


class Unavailable(DomainError):
    code = ErrorCode.UNAVAILABLE
