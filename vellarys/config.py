"""Settings, read from the environment (``VELLARYS_`` prefix) and an optional ``.env`` file."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _pool_alias(name: str) -> AliasChoices:
    # The reference system's operators know the plain DB_* names; accept both.
    return AliasChoices(f"VELLARYS_{name}", name)


class Settings(BaseSettings):
    """Every knob of Vellarys. Each field is documented in the README (a test checks)."""

    model_config = SettingsConfigDict(
        env_prefix="VELLARYS_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Literal["development", "production"] = "development"
    database_url: str | None = None
    data_dir: Path = Path(".vellarys")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    secret_key: SecretStr | None = None
    log_level: str = "INFO"

    db_pool_size: int = Field(default=10, ge=1, validation_alias=_pool_alias("DB_POOL_SIZE"))
    db_max_overflow: int = Field(default=20, ge=0, validation_alias=_pool_alias("DB_MAX_OVERFLOW"))
    db_pool_timeout: float = Field(
        default=10, gt=0, validation_alias=_pool_alias("DB_POOL_TIMEOUT")
    )
    db_pool_recycle: int = Field(default=1800, validation_alias=_pool_alias("DB_POOL_RECYCLE"))
    statement_timeout_ms: int = Field(default=60000, ge=0)
    application_name: str = "vellarys_api"
    migration_maintenance_work_mem: str = "512MB"

    embedding_dim: int = Field(default=384, ge=1)
    worker_concurrency: int = Field(default=4, ge=1)

    embedding_provider: Literal["local", "openai"] = "local"
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_model: str | None = None

    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_seconds: float = Field(default=20, gt=0)
    llm_daily_token_budget: int = Field(default=200_000, ge=0)
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

    inbound_text_max_chars: int = Field(default=4096, ge=1)
    webhook_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    request_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    pdf_timeout_seconds: float = Field(default=20, gt=0)
    pdf_workers: int = Field(default=2, ge=1)
    media_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    media_timeout_seconds: float = Field(default=30, gt=0)
    media_retention_days: int = Field(default=90, ge=1)
    transcription_base_url: str | None = None
    transcription_api_key: SecretStr | None = None
    transcription_model: str = "whisper-1"
    transcription_timeout_seconds: float = Field(default=60, gt=0)
    ocr_timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key is None:
                raise ValueError("VELLARYS_SECRET_KEY is required in production")
            if self.database_url is None:
                raise ValueError("VELLARYS_DATABASE_URL is required in production")
        return self

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
