"""Settings, read from environment variables with the ``LEDGERBRIDGE_`` prefix.

Every setting is listed in README.md's configuration table; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ExactRegion = Literal["nl", "be", "de", "uk", "us", "fr", "es", "custom"]


class Settings(BaseSettings):
    """All configuration of one LedgerBridge process."""

    model_config = SettingsConfigDict(env_prefix="LEDGERBRIDGE_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path(".ledgerbridge"),
        description="Embedded database, receipts and generated keys live here.",
    )
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://…). Unset: an embedded server in data_dir.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address users reach this app at; OAuth redirect URL is derived from it.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Fernet key(s), comma-separated, newest first, for tokens at rest. "
        "Unset: a key generated into data_dir/secret.key (0600).",
    )
    demo: bool = Field(default=True, description="Seed the demo company on first start.")
    demo_seed: int = 20261125
    receipt_store: str | None = Field(
        default=None,
        description="Where receipt files are kept: a directory, or s3://bucket/prefix "
        "(S3-compatible object storage). Unset: data_dir/receipts.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="The S3 API's address for a store that is not AWS (MinIO, Ceph, R2 …). "
        "Credentials and region: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.",
    )
    receipt_max_bytes: int = 10 * 1024 * 1024
    receipt_warn_bytes: int = 7 * 1024 * 1024
    request_max_bytes: int = Field(
        default=11 * 1024 * 1024,
        description="Largest request body on any route (413 above it, checked while it streams).",
    )
    run_worker: bool = Field(default=True, description="Run the job worker inside the app process.")

    exact_region: ExactRegion = Field(
        default="custom", description="Exact Online country host, or custom (the sandbox)."
    )
    exact_base_url: str | None = Field(
        default=None,
        description="Base URL when exact_region=custom. Unset: the sandbox mounted in this app.",
    )
    exact_client_id: str | None = None
    exact_client_secret: str | None = None
    exact_redirect_url: str | None = Field(
        default=None,
        description="Registered redirect URI. Unset: {public_url}/integrations/exact/callback.",
    )
    exact_webhook_secret: str | None = Field(
        default=None,
        description="The app's webhook secret (App Center). With an https:// public_url, "
        "suppliers and GL accounts are kept up to date by Exact's webhooks.",
    )
    exact_minute_safety_margin: int = Field(
        default=3, description="Calls a minute left unused as a margin against 429s."
    )
    exact_day_safety_margin: int = Field(
        default=100, description="Calls a day left unused for interactive work."
    )
    # Adaptive dimension polling (domain.upkeep; benchmarks/day_budget.py measures the defaults).
    sync_often_minutes: int = Field(
        default=5,
        ge=1,
        description="GL accounts, suppliers, projects: interval after a change.",
    )
    sync_often_ceiling_minutes: int = Field(
        default=180, ge=1, description="GL accounts, suppliers, projects: longest idle interval."
    )
    sync_rarely_minutes: int = Field(
        default=15,
        ge=1,
        description="VAT codes, journals, cost centres/units, document types: "
        "first interval after a change.",
    )
    sync_rarely_ceiling_minutes: int = Field(
        default=360, ge=1, description="VAT codes, journals, … : longest idle interval."
    )
    sync_in_prep_minutes: int = Field(
        default=15,
        ge=1,
        description="Longest interval of any resource while a user works in prep.",
    )
    sync_prep_active_minutes: int = Field(
        default=20,
        ge=1,
        description="A user counts as in prep this long after a prep page.",
    )
    sync_backoff: float = Field(
        default=2.0, ge=1, description="Interval multiplier after a poll that found no change."
    )
    sync_webhook_safety_net_minutes: int = Field(
        default=360, ge=1, description="Polling interval of a resource an Exact webhook covers."
    )
    job_stall_seconds: float = Field(
        default=60,
        ge=2,
        description=(
            "A running job whose worker sent no heartbeat for this long is stalled and is "
            "retried (checked every min(this, 60) seconds; workers beat every "
            "min(10, this/4) seconds)."
        ),
    )

    smtp_host: str | None = Field(
        default=None, description="Mail server for invitation e-mails. Unset: links only."
    )
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "LedgerBridge <ledgerbridge@localhost>"

    # Logs and metrics (README › Scale out › Logs and metrics).
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as readable text, or one JSON object each (time, level, "
        "logger, message, request_id, company, division).",
    )
    metrics_token: str | None = Field(
        default=None,
        description="When set, GET /metrics needs 'Authorization: Bearer <token>'. "
        "Unset: /metrics answers anyone who reaches it.",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        description="Port where a 'ledgerbridge worker' serves its /metrics (on host). "
        "Unset: the worker serves none.",
    )

    sandbox_enabled: bool = Field(
        default=True, description="Mount the Exact Online sandbox at /sandbox in the app process."
    )

    @field_validator("receipt_store")
    @classmethod
    def _directory_or_s3(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.startswith("s3://"):
            bucket = value.removeprefix("s3://").partition("/")[0]
            if not bucket:
                raise ValueError("expected s3://bucket/prefix (no bucket named)")
        elif "://" in value:
            raise ValueError("expected a directory or s3://bucket/prefix")
        return value

    @property
    def receipts_dir(self) -> Path:
        return self.data_dir / "receipts"

    @property
    def receipt_store_location(self) -> str:
        """``receipt_store``, or the default directory ``data_dir/receipts``."""
        return self.receipt_store or str(self.receipts_dir)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
