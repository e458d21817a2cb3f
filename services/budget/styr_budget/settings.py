"""Budget service settings (``STYR_BUDGET_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from styr_shared.settings import DatabaseServiceSettings


class BudgetSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STYR_BUDGET_", extra="ignore")
    service_name: ClassVar[str] = "budget"
    default_port: ClassVar[int] = 8002

    goals_url: str | None = Field(
        "http://127.0.0.1:8001",
        description="Base URL of the goals service, whose org change feed this service "
        "replicates; empty turns replication off.",
    )
    org_sync_seconds: float = Field(
        2.0, gt=0, description="How often the org change feed is polled (a miss also pulls it)."
    )
    org_feed_token: SecretStr | None = Field(
        None, description="Token for reading the org feed (required in production)."
    )
