"""One settings object, read from ``ZONECREDIT_*`` variables when first asked for."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets seen in examples and templates: whoever read them could sign sessions, so none is accepted.
PLACEHOLDER_SECRETS = frozenset(
    ("change-me", "changeme", "change_me", "secret", "secret-key", "dev", "development", "test", "password")
)
MIN_SECRET_CHARS = 16
SECRET_FILE = "secret_key"


class Settings(BaseSettings):
    """Where zonecredit keeps its data and how it reaches its stores."""

    model_config = SettingsConfigDict(env_prefix="ZONECREDIT_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    home: Path = Field(default=Path(".zonecredit"), description="Data directory (SPEC §8).")
    database_url: str | None = Field(
        default=None, description="Operational store; SQLite under home by default."
    )
    mlflow_ui_url: str = Field(
        default="http://127.0.0.1:5000", description="MLflow UI that the /models page links runs to."
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
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Signs dashboard sessions; unset, a random one kept in home/secret_key (mode 0600).",
    )
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
    purposes: list[str] = Field(
        default=["supervision", "credit_review", "dispute_handling", "inspection"],
        min_length=1,
        description="Purposes the dashboard offers before it shows personal data unmasked.",
    )
    auth_failures_per_key: int = Field(
        default=10, ge=1, description="Refused attempts naming one key id before it is locked out."
    )
    auth_failures_per_client: int = Field(
        default=30, ge=1, description="Refused keys from one client address before it is locked out."
    )
    auth_window_seconds: float = Field(
        default=60.0, gt=0, description="Window over which refused keys count; also the longest lockout."
    )
    access_log: bool = Field(default=True, description="Write one JSON log line per API request.")
    services_policy: Path | None = Field(
        default=None,
        description="Policy file of programs, inspections and clear-out (default: the packaged one).",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key is None:
            if self.environment != "development":
                raise ValueError("ZONECREDIT_SECRET_KEY must be set to a real secret outside development")
        elif (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < MIN_SECRET_CHARS
        ):
            raise ValueError(
                f"ZONECREDIT_SECRET_KEY is a placeholder or shorter than {MIN_SECRET_CHARS} characters; "
                "set a random one (python -c 'import secrets; print(secrets.token_urlsafe(32))') "
                "or unset it in development to use a generated one"
            )
        return self

    def session_secret(self) -> tuple[str, str]:
        """Return the secret that signs sessions and where it comes from (for the start-up log).

        Without ``ZONECREDIT_SECRET_KEY`` a random secret is generated once per data directory and kept
        in ``home/secret_key`` with mode 0600, so that no two installations share one.
        """
        if self.secret_key is not None:
            return self.secret_key, "ZONECREDIT_SECRET_KEY"
        path = self.home / SECRET_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Written whole under a temporary name, then linked: link fails if another worker won
            # the race, and nobody ever reads a half-written file.
            draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        secret = path.read_text().strip()
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"{path} holds no usable secret; delete it to generate a new one")
        return secret, str(path.resolve())

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
