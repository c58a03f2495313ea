"""Settings, read from environment variables only (documented in docs/configuration.md)."""

from __future__ import annotations

import re
import typing
from enum import Enum, StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that earlier versions shipped in the source, so anyone can sign tokens with them: refused
# in every mode. Without a configured secret the server generates one per data directory
# (core/accounts/secret.py).
PUBLISHED_SECRETS = frozenset({"dev-insecure-secret-change-me-0123456789",
                               "ecoinspect-demo-secret-not-for-production"})


class Mode(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the service. Names map to ``ECOINSPECT_*`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="ECOINSPECT_", extra="ignore", frozen=True)

    mongodb_uri: str | None = Field(default=None, validation_alias="MONGODB_URI")
    database_name: str = "ecoinspect"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias="PORT", ge=0, le=65535)
    mode: Mode = Mode.DEV
    secret_key: str | None = None
    access_token_minutes: int = Field(default=30, ge=1)
    refresh_token_days: int = Field(default=7, ge=1)
    login_slowdown_after: int = Field(default=3, ge=1)
    login_lock_after: int = Field(default=10, ge=2)
    login_lock_minutes: int = Field(default=15, ge=1)
    login_address_lock_after: int = Field(default=100, ge=2)
    login_account_lock_after: int = Field(default=50, ge=2)
    login_account_lock_minutes: int = Field(default=5, ge=1)
    account_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    password_hash_profile: Literal["standard", "fast"] = "standard"
    login_delay_max_seconds: float = Field(default=2.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    query_max_depth: int = Field(default=10, ge=2)
    query_max_tokens: int = Field(default=2000, ge=50)
    query_max_aliases: int = Field(default=15, ge=1)
    query_max_nodes: int = Field(default=5000, ge=10)
    query_validation_budget_ms: int = Field(default=2000, ge=10, le=10_000)
    publication_deadline_days: int = Field(default=20, ge=1, le=365)
    holidays: str = ""  # comma-separated YYYY-MM-DD public holidays
    makeup_days: str = ""  # comma-separated YYYY-MM-DD make-up working days (调休)
    field_max_start_distance_m: float = Field(default=500.0, gt=0)
    field_max_accuracy_m: float = Field(default=100.0, gt=0)
    field_max_clock_skew_s: float = Field(default=300.0, gt=0)
    sync_op_retention_days: int = Field(default=30, ge=1, le=3650)
    sync_max_ops: int = Field(default=500, ge=1, le=5000)
    evidence_chunk_max_bytes: int = Field(default=8 * 1_048_576, ge=65536)
    evidence_max_photo_mb: int = Field(default=25, ge=1)
    evidence_max_video_mb: int = Field(default=2048, ge=1)
    evidence_max_audio_mb: int = Field(default=200, ge=1)
    evidence_max_document_mb: int = Field(default=50, ge=1)
    evidence_tus_expiry_hours: int = Field(default=168, ge=1, le=24 * 365)  # an unused tus upload URL expires
    embedded_db_port: int = Field(default=0, ge=0, le=65535)  # 0: any free port
    embedded_start_timeout_s: float = Field(default=30.0, gt=0)
    db_server_selection_timeout_ms: int = Field(default=2000, ge=100, le=120_000)  # then UNAVAILABLE
    # The embedded server fsyncs its log at every commit: an acknowledged write survives a crash of the
    # database process (without it, a kill -9 right after the acknowledgement lost writes here).
    db_sync_on_commit: bool = True
    complaint_handling_days: int = Field(default=60, ge=1, le=3650)  # received -> handled (UNVERIFIED)
    alert_max_backdate_hours: int = Field(default=24, ge=0, le=24 * 30)  # how far back an alert may start
    # Cases and penalties (docs/cases.md: each default with its source; UNVERIFIED ones are marked there)
    case_authority: str = Field(default="陕环", min_length=1, max_length=20)  # issuing authority's short name
    case_number_pattern: str = "{authority}罚〔{year}〕{seq}号"
    case_filing_days: int = Field(default=15, ge=1, le=365)  # discovery -> 立案 (UNVERIFIED)
    case_decision_days: int = Field(default=90, ge=1, le=3650)  # 立案 -> 决定 (行政处罚法 art. 60)
    case_extension_max_days: int = Field(default=30, ge=0, le=3650)  # the one extension (UNVERIFIED)
    case_hearing_request_days: int = Field(default=5, ge=1, le=60)  # art. 64 (1)
    case_hearing_notice_days: int = Field(default=7, ge=1, le=60)  # art. 64 (2)
    case_service_days: int = Field(default=7, ge=1, le=60)  # art. 61
    case_publication_working_days: int = Field(default=7, ge=1, le=60)  # 国办发〔2018〕118号
    case_payment_days: int = Field(default=15, ge=1, le=365)  # art. 67
    case_surcharge_percent_per_day: int = Field(default=3, ge=0, le=100)  # art. 72
    case_review_window_days: int = Field(default=60, ge=1, le=3650)  # 行政复议法
    case_litigation_window_months: int = Field(default=6, ge=1, le=120)  # 行政诉讼法 art. 46
    case_court_application_months: int = Field(default=3, ge=1, le=120)  # 行政强制法 art. 53
    case_reminder_days: int = Field(default=10, ge=1, le=120)  # 行政强制法 art. 54
    case_court_warning_days: int = Field(default=30, ge=1, le=365)  # flag the court window this early
    case_reinspection_days: int = Field(default=30, ge=1, le=365)  # after the correction deadline (UNVERIFIED)
    case_hearing_threshold_organisation_yuan: int = Field(default=200_000, ge=0)  # UNVERIFIED
    case_hearing_threshold_individual_yuan: int = Field(default=30_000, ge=0)  # UNVERIFIED
    case_major_fine_yuan: int = Field(default=200_000, ge=0)  # legal review + collective discussion from here
    case_transfer_decision_days: int = Field(default=3, ge=1, le=30)  # 国务院令第310号
    case_transfer_send_hours: int = Field(default=24, ge=1, le=720)  # same
    # 按日连续处罚办法 art. 5: the violation types a daily continuous penalty may follow
    case_daily_penalty_types: str = "exceed_standard,evade_supervision,hazardous_waste_dumping,fugitive_emission"
    # 行政处罚法 art. 33 (1): first violations that may go unpunished when harm is slight and corrected in time
    case_first_violation_types: str = "monitoring_not_connected,fugitive_emission"
    audit_retention_days: int = Field(default=3650, ge=1, le=36_500)  # whole UTC days older are purged
    # Draws (docs/draw-spec.md §1): the public value is announced at freeze — its source, canonical format and
    # the event after which the draw may happen — so there is one value and one spelling to enter.
    draw_public_source: str = Field(default="中国体育彩票排列5", min_length=1, max_length=100)
    draw_public_pattern: str = Field(default="[0-9] [0-9] [0-9] [0-9] [0-9]", min_length=1, max_length=200)
    draw_public_event_time: str = Field(default="21:25", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    draw_public_utc_offset: str = Field(default="+08:00", pattern=r"^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$")
    draw_public_interval_minutes: int = Field(default=1440, ge=0, le=7 * 1440)  # 0: the event is the notice's end
    draw_notice_minutes: int = Field(default=60, ge=0, le=30 * 1440)  # freeze/filing → the earliest event
    draw_result_delay_minutes: int = Field(default=60, ge=0, le=7 * 1440)  # event → its result is public
    # Browser origins allowed to call the API (CORS), comma-separated; empty: none.
    cors_origins: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_json: bool = True

    @property
    def production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Settings:
        if self.secret_key in PUBLISHED_SECRETS:
            raise ValueError("ECOINSPECT_SECRET_KEY is a value published in the source; set a random one")
        if self.production and len(self.secret_key or "") < 32:
            raise ValueError(
                "production mode needs ECOINSPECT_SECRET_KEY set to a random value of at least "
                "32 characters, the same on every replica"
            )
        try:
            re.compile(self.draw_public_pattern)
        except re.error as exc:
            raise ValueError(f"ECOINSPECT_DRAW_PUBLIC_PATTERN is not a regular expression: {exc}") from None
        if self.production and self.password_hash_profile != "standard":
            raise ValueError("production mode needs ECOINSPECT_PASSWORD_HASH_PROFILE=standard")
        if self.login_lock_after <= self.login_slowdown_after:
            raise ValueError("ECOINSPECT_LOGIN_LOCK_AFTER must exceed ECOINSPECT_LOGIN_SLOWDOWN_AFTER")
        if min(self.login_account_lock_after, self.login_address_lock_after) <= self.login_lock_after:
            raise ValueError("ECOINSPECT_LOGIN_ACCOUNT_LOCK_AFTER and ECOINSPECT_LOGIN_ADDRESS_LOCK_AFTER must "
                             "exceed ECOINSPECT_LOGIN_LOCK_AFTER")
        return self


class ConfigurationError(Exception):
    """The environment holds a value the settings refuse; the message is one line naming it."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return read_settings()


def read_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and ``overrides``), or ConfigurationError with one line per refusal
    joined by "; ": the variable, the value it holds and what is allowed."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError("; ".join(_describe(error) for error in exc.errors())) from None


_SECRET_FIELDS = frozenset({"secret_key", "mongodb_uri"})  # never echoed: a URI may carry a password


# Validation errors name a field by its alias when it has one (PORT, MONGODB_URI).
_FIELD_BY_NAME = {str(info.validation_alias): name for name, info in Settings.model_fields.items()
                  if isinstance(info.validation_alias, str)}


def variable_name(field: str) -> str:
    info = Settings.model_fields[field]
    alias = info.validation_alias
    return alias if isinstance(alias, str) else f"ECOINSPECT_{field.upper()}"


def _describe(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    name = str(error["loc"][0]) if error["loc"] else ""
    field = _FIELD_BY_NAME.get(name, name)
    if field not in Settings.model_fields:
        return message  # a check across variables: its message names them
    value = "(hidden)" if field in _SECRET_FIELDS else repr(error.get("input"))
    reason = message[:1].lower() + message[1:]
    return f"{variable_name(field)}={value} is not allowed: expected {allowed(field)} ({reason})"


def allowed(field: str) -> str:
    """What a field accepts, in words: its type with its bounds, or its choices."""
    info: FieldInfo = Settings.model_fields[field]
    kind = info.annotation
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(str(choice) for choice in typing.get_args(kind))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(str(member.value) for member in kind)
    if kind is bool:
        return "true or false"
    noun = "an integer" if kind is int else "a number" if kind is float else None
    if noun is None:
        return "a string" if kind is str else "a value of the documented form"
    bounds = []
    for limit in info.metadata:
        for attribute, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if isinstance(limit, getattr(annotated_types, attribute.capitalize())):
                bounds.append(f"{word} {getattr(limit, attribute)}")
    return noun + (" " + " and ".join(bounds) if bounds else "")
