"""Settings of the standalone sandbox (``exact-sandbox``), from ``EXACT_SANDBOX_*`` variables.

Command-line options win over these. Behaviour knobs of a running sandbox
(rate limits, error texts, …) are ``core.SandboxSettings``, changed through the
control API, not here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServeSettings(BaseSettings):
    """Where the standalone sandbox listens and keeps its state."""

    model_config = SettingsConfigDict(env_prefix="EXACT_SANDBOX_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://…) to persist to, in schema exact_sandbox. "
        "Unset: data kept in memory only, lost when the sandbox stops.",
    )
    data_dir: Path = Field(
        default=Path(".exact-sandbox"),
        description="Issued tokens and the clock shift of a persisted sandbox live here.",
    )
    host: str = "127.0.0.1"
    port: int = 8765
    webhook_secret: str | None = Field(
        default=None,
        description="The demo app's webhook secret (signs webhook deliveries). "
        "Unset: the seeded one (exact_sandbox.seed.DEMO_WEBHOOK_SECRET).",
    )
    webhook_interval: float = Field(
        default=3.0, description="Seconds between posts of pending webhook deliveries."
    )
