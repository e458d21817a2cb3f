"""Deviations service settings (``STYR_DEVIATIONS_*``): infrastructure only.

What a municipality decides (reference format and series, risk matrix, deadlines, the citizen
intake's receiving unit, the statistics suppression threshold, categories) is stored per
municipality (``/api/v1/municipalities/{id}/case-settings`` and ``/categories``), not here.
The variables that used to carry them are listed in :data:`RETIRED_VARIABLES`: migration
``0004`` copies their values into the settings of the municipality that existed then, and the
service warns at startup when one is still set.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from styr_shared.settings import DatabaseServiceSettings, Environment

# A fixed development key so `make run` works out of the box; production refuses it.
DEVELOPMENT_PERSONAL_DATA_KEY = "dev1:c3R5ci1kZXZlbG9wbWVudC1rZXktbm90LXNlY3JldCE="
DEVELOPMENT_HASH_KEY = "styr-development-hash-key-not-secret"

RETIRED_VARIABLES = (
    "STYR_DEVIATIONS_REFERENCE_FORMAT",
    "STYR_DEVIATIONS_RISK_MATRIX",
    "STYR_DEVIATIONS_DEADLINES",
    "STYR_DEVIATIONS_PUBLIC_INTAKE_UNIT",
    "STYR_DEVIATIONS_STATISTICS_SUPPRESSION_THRESHOLD",
)
"""Per-municipality settings that were environment variables before migration ``0004``."""


class DeviationsSettings(DatabaseServiceSettings):
    # hide_input_in_errors: a configuration error must not print the keys.
    model_config = SettingsConfigDict(
        env_prefix="STYR_DEVIATIONS_", extra="ignore", hide_input_in_errors=True
    )
    service_name: ClassVar[str] = "deviations"
    default_port: ClassVar[int] = 8003

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

    personal_data_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_PERSONAL_DATA_KEY),
        description="Current key for personal data at rest: `<key id>:<urlsafe base64 of 32 "
        "bytes>` (AES-256-GCM). New data is encrypted with it; the key id is stored with "
        "every ciphertext. Rotation: move the old value to `PERSONAL_DATA_OLD_KEYS`, set a new "
        "key with a new id, then call `POST /api/v1/personal-data/re-encrypt`.",
    )
    personal_data_old_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Retired keys (same format, JSON list) still accepted for reading.",
    )
    personal_data_hash_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_HASH_KEY),
        description="HMAC-SHA256 key for the personnummer search hash. Changing it makes "
        "stored hashes unfindable until re-encryption recomputes them.",
    )
    public_rate_limit: int = Field(
        5,
        ge=1,
        description="Citizen submissions allowed per client IP and municipality per window.",
    )
    public_rate_window_seconds: int = Field(
        600, ge=1, description="Length of the moving rate-limit window, in seconds."
    )
    public_rate_limit_storage: str = Field(
        "memory://",
        description="Where the rate-limit counts live: `memory://` (each process counts on its "
        "own) or `redis://host:6379` (all processes and replicas share one count).",
    )
    public_max_body_bytes: int = Field(
        16_384, ge=1024, description="Largest citizen submission accepted; larger gets 413."
    )
    import_max_body_bytes: int = Field(
        20_971_520, ge=1024, description="Largest migration import body accepted."
    )

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> Self:
        if self.auth.environment is Environment.PRODUCTION and (
            self.personal_data_key.get_secret_value() == DEVELOPMENT_PERSONAL_DATA_KEY
            or self.personal_data_hash_key.get_secret_value() == DEVELOPMENT_HASH_KEY
        ):
            raise ValueError("the development personal-data keys must not be used in production")
        return self
