"""One settings object, read from ``ZONECREDIT_*`` variables when first asked for."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    """Where zonecredit keeps its data and how it reaches its stores."""

    model_config = SettingsConfigDict(env_prefix="ZONECREDIT_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    home: Path = Field(default=Path(".zonecredit"), description="Data directory (SPEC §8).")
    database_url: str | None = Field(
        default=None, description="Operational store; SQLite under home by default."
    )
    mlflow_tracking_uri: str | None = Field(
        default=None, description="MLflow tracking and registry; SQLite under home by default."
    )
    warehouse_buckets: int = Field(
        default=64, ge=1, le=4096, description="Enterprise partitions of the warehouse."
    )
    ingest_chunk_rows: int = Field(default=200_000, ge=1_000)
    dask_scheduler: str | None = Field(
        default=None, description="Address of a Dask scheduler (tcp://host:8786); a local cluster if unset."
    )
    secret_key: str = PLACEHOLDER_SECRET
    max_batch: int = Field(default=10_000, ge=1, description="Credit codes or feature rows per scoring call.")
    max_body_bytes: int = Field(
        default=32 * 2**20, ge=1024, description="Largest request body the API reads (bytes)."
    )
    max_upload_bytes: int = Field(
        default=4 * 2**30, ge=1024, description="Largest department export an upload may send (bytes)."
    )
    reload_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often the API checks whether a champion alias moved."
    )
    key_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a verified API key is trusted before re-reading it."
    )
    audit_flush_seconds: float = Field(
        default=0.5, gt=0, description="Audit entries are written in batches at this interval."
    )
    dormancy_threshold: float = Field(
        default=30.0, ge=0, le=100, description="Activity score below which an active enterprise is dormant."
    )
    default_purpose: str = Field(default="supervision", description="Why-code audited when none is given.")
    access_log: bool = Field(default=True, description="Write one JSON log line per API request.")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("ZONECREDIT_SECRET_KEY must be set to a real secret outside development")
        return self

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'store.db').resolve()}"

    @property
    def resolved_mlflow_tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, built on first use (nothing happens at import)."""
    return Settings()
