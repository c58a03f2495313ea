"""The key that signs tokens: the configured one, else one generated per data directory and kept there."""

from __future__ import annotations

import logging
import os
import secrets
import stat
import uuid
from pathlib import Path

from core.config import Settings

log = logging.getLogger(__name__)

FILE_NAME = "secret_key"
_MIN_LENGTH = 32


class SecretFileError(RuntimeError):
    """The data directory's secret file is unusable; the message says why and what to do."""


def signing_secret(settings: Settings) -> str:
    """``ECOINSPECT_SECRET_KEY`` if set; otherwise ``<data_dir>/secret_key``, created (mode 0600) if absent."""
    if settings.secret_key:
        return settings.secret_key
    return _read_or_create(settings.data_dir / FILE_NAME)


def with_signing_secret(settings: Settings) -> Settings:
    """The same settings with the secret resolved, so a bad secret file stops start-up, not a request."""
    if settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": signing_secret(settings)})


def _read_or_create(path: Path) -> str:
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretFileError(f"{path} is readable by other users (mode {mode:o}): run chmod 600 on it, or "
                              "delete it to sign new tokens with a new secret")
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < _MIN_LENGTH:
        raise SecretFileError(f"{path} holds fewer than {_MIN_LENGTH} characters: delete it to generate a "
                              "new secret, or set ECOINSPECT_SECRET_KEY")
    return secret


def _create(path: Path) -> None:
    """Write a new secret so that concurrent starts on one directory all end up with the same one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{FILE_NAME}.{uuid.uuid4().hex}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails when the name exists: the first process to link wins, the others read its secret.
        os.link(draft, path)
        log.info("generated a token-signing secret in %s", path)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
