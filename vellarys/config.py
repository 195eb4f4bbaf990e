"""Settings, read from the environment (``VELLARYS_`` prefix) and an optional ``.env`` file."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

# The secret signs sessions and seals stored credentials: 32 bytes is 256 bits.
MIN_SECRET_BYTES = 32


def _pool_alias(name: str) -> AliasChoices:
    # The reference system's operators know the plain DB_* names; accept both.
    return AliasChoices(f"VELLARYS_{name}", name)


SECRET_HINT = "generate one: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 - advice, not a secret


class Settings(BaseSettings):
    """Every knob of Vellarys. Each field is documented in the README (a test checks)."""

    model_config = SettingsConfigDict(
        env_prefix="VELLARYS_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Literal["development", "production"] = "development"
    database_url: str | None = Field(default=None, validate_default=True)
    migration_database_url: str | None = None
    data_dir: Path = Path(".vellarys")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    secret_key: SecretStr | None = Field(default=None, validate_default=True)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"

    db_pool_size: int = Field(default=10, ge=1, validation_alias=_pool_alias("DB_POOL_SIZE"))
    db_max_overflow: int = Field(default=20, ge=0, validation_alias=_pool_alias("DB_MAX_OVERFLOW"))
    db_pool_timeout: float = Field(
        default=10, gt=0, validation_alias=_pool_alias("DB_POOL_TIMEOUT")
    )
    db_pool_recycle: int = Field(default=1800, validation_alias=_pool_alias("DB_POOL_RECYCLE"))
    db_connect_timeout: float = Field(default=5, gt=0)
    db_retry_seconds: float = Field(default=1, gt=0)
    statement_timeout_ms: int = Field(default=60000, ge=0)
    # The webhook's ack path: one statement per message on a small pool of its own.
    webhook_fast_path: bool = True
    db_ack_pool_size: int = Field(default=5, ge=1)
    application_name: str = "vellarys_api"
    migration_maintenance_work_mem: str = "512MB"

    embedding_dim: int = Field(default=384, ge=1)
    worker_concurrency: int = Field(default=16, ge=1)
    outbound_concurrency: int = Field(default=8, ge=1)
    worker_give_up_seconds: float = Field(default=600, gt=0)
    job_time_budget_seconds: float = Field(default=45, gt=0)
    lead_messages_per_minute: int = Field(default=20, ge=1)
    agency_messages_per_minute: int = Field(default=600, ge=1)

    embedding_provider: Literal["local", "openai"] = "local"
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_model: str | None = None

    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_seconds: float = Field(default=20, gt=0)
    llm_daily_token_budget: int = Field(default=200_000, ge=0)
    llm_trace_retention_days: int = Field(default=30, ge=1)
    llm_lead_daily_tokens: int = Field(default=60_000, ge=0)
    summary_every: int = Field(default=6, ge=1)

    meta_graph_url: str = "https://graph.facebook.com"
    provider_timeout_seconds: float = Field(default=15, gt=0)
    debounce_seconds: float = Field(default=3.0, ge=0)
    stale_after_seconds: float = Field(default=6 * 3600, gt=0)
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_base_seconds: float = Field(default=2.0, ge=0)
    send_pace_seconds: float = Field(default=1.5, ge=0)
    stalled_job_seconds: float = Field(default=60, gt=0)
    outbound_stuck_seconds: float = Field(default=120, gt=0)

    session_idle_minutes: float = Field(default=120, gt=0)
    session_max_hours: float = Field(default=12, gt=0)
    password_reset_minutes: float = Field(default=60, gt=0)
    # argon2id cost of new staff password hashes (RFC 9106's second recommendation, argon2's
    # default); the test suite lowers it, production keeps it.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=32)
    operator_token: SecretStr | None = None
    # None: allowed in development (the demo, tests' fake servers), refused in production.
    allow_private_urls: bool | None = None
    inbound_text_max_chars: int = Field(default=4096, ge=1)
    webhook_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    webhook_concurrency: int = Field(default=8, ge=1)
    webhook_wait_seconds: float = Field(default=10, ge=0)
    request_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    pdf_timeout_seconds: float = Field(default=20, gt=0)
    pdf_workers: int = Field(default=2, ge=1)
    media_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    media_timeout_seconds: float = Field(default=30, gt=0)
    media_retention_days: int = Field(default=90, ge=1)
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_retry_base_seconds: float = Field(default=30, ge=0)
    transcription_base_url: str | None = None
    transcription_api_key: SecretStr | None = None
    transcription_model: str = "whisper-1"
    transcription_timeout_seconds: float = Field(default=60, gt=0)
    ocr_timeout_seconds: float = Field(default=30, gt=0)
    # smtp://user:password@host:587 (STARTTLS) or smtps://...:465; unset: kept in the outbox.
    smtp_url: SecretStr | None = None
    mail_from: str = "Vellarys <no-reply@localhost>"
    # Web push: the VAPID key (base64url, raw 32 bytes or DER); unset: generated into the data
    # folder on first use. The subject is how push services reach the operator.
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:push@vellarys.invalid"
    push_timeout_seconds: float = Field(default=10, gt=0, le=60)

    health_queue_age_seconds: float = Field(default=60, gt=0)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    api_processes: int = Field(default=1, ge=1)
    worker_processes: int = Field(default=1, ge=1)
    supervisor_standby: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    # Field validators (not one model validator) so that every problem is reported at once.
    @field_validator("database_url")
    @classmethod
    def _production_needs_a_database(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("environment") == "production":
            raise ValueError("required in production (postgresql://user:password@host:5432/db)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _production_needs_a_long_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if info.data.get("environment") != "production":
            return value
        if value is None:
            raise ValueError(f"required in production ({SECRET_HINT})")
        if len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes ({SECRET_HINT})")
        return value

    @property
    def private_urls_allowed(self) -> bool:
        """Whether agency-set URLs may point at private, loopback or link-local addresses."""
        if self.allow_private_urls is not None:
            return self.allow_private_urls
        return self.environment != "production"

    @property
    def embedded(self) -> bool:
        """True when no database URL is configured: the embedded PostgreSQL is used."""
        return self.database_url is None

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def base_url(self) -> str:
        """The absolute URL this deployment is reached at (webhook URLs are built from it)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class InvalidSettings(Exception):
    """The environment does not describe a deployment Vellarys can run: every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Invalid settings ({count}; environment variables or .env):\n{lines}")


def env_names(field: str) -> list[str]:
    """The environment variables a field is read from."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"VELLARYS_{field.upper()}"]


def load_settings(**values: object) -> Settings:
    """Settings from the environment, or ``InvalidSettings`` listing every problem."""
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise InvalidSettings([_describe(error) for error in exc.errors()]) from None


def _describe(error: Mapping[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    name = env_names(field)[0] if field in Settings.model_fields else field or "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    secret = "SECRET" in name or "KEY" in name
    shown = "" if given is None or secret or isinstance(given, dict) else f" (got {given!r})"
    return f"{name}: {message}{shown}"
