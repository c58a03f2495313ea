"""Configuration: every environment variable is documented; production refuses unsafe values."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")


def _variable(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    return str(alias) if isinstance(alias, str) else f"ECOINSPECT_{name.upper()}"


def test_every_setting_is_documented() -> None:
    missing = [_variable(name) for name in Settings.model_fields if f"`{_variable(name)}`" not in DOC]
    assert missing == []


def test_production_refuses_the_fast_password_profile() -> None:
    import pytest
    from pydantic import ValidationError

    from core.config import Mode

    assert Settings(mode=Mode.PRODUCTION, secret_key="p" * 40).password_hash_profile == "standard"
    with pytest.raises(ValidationError, match="PASSWORD_HASH_PROFILE"):
        Settings(mode=Mode.PRODUCTION, secret_key="p" * 40, password_hash_profile="fast")
