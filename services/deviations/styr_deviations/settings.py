"""Deviations service settings (``STYR_DEVIATIONS_*``).

Structured settings (the risk matrix, deadlines) are read from JSON in the environment, e.g.
``STYR_DEVIATIONS_DEADLINES='{"complaint": {"months": 1}, "feedback": {"days": 21}}'``.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from styr_deviations.config import (
    DEFAULT_DEADLINES,
    DEFAULT_RISK_MATRIX,
    CaseKind,
    DeadlineRule,
    RiskMatrix,
)
from styr_shared.settings import DatabaseServiceSettings, Environment

# A fixed development key so `make run` works out of the box; production refuses it.
DEVELOPMENT_PERSONAL_DATA_KEY = "dev1:c3R5ci1kZXZlbG9wbWVudC1rZXktbm90LXNlY3JldCE="
DEVELOPMENT_HASH_KEY = "styr-development-hash-key-not-secret"


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

    reference_format: str = Field(
        "VON.{year}.{n}",
        description="Format of case reference numbers (diarienummer). `{year}` is the year "
        "of registration, `{n}` the gap-free serial within that year's series.",
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
    risk_matrix: RiskMatrix = Field(
        DEFAULT_RISK_MATRIX,
        description="Probability and consequence scales, their labels and the risk levels.",
    )
    deadlines: dict[str, DeadlineRule] = Field(
        default_factory=lambda: dict(DEFAULT_DEADLINES),
        description="Deadline per case kind: what must happen (`received` or `answered`) "
        "within how many days/months of registration.",
    )
    public_intake_unit: str = Field(
        "oxelosund-vof",
        description="Org unit that receives citizen feedback when the citizen names none.",
    )
    public_rate_limit: int = Field(
        5, ge=1, description="Citizen submissions allowed per client IP per window."
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
    statistics_suppression_threshold: int = Field(
        5,
        ge=1,
        description="For callers without case access, counts from 1 up to this value minus "
        "one are shown as `<threshold`.",
    )

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> Self:
        if self.auth.environment is Environment.PRODUCTION and (
            self.personal_data_key.get_secret_value() == DEVELOPMENT_PERSONAL_DATA_KEY
            or self.personal_data_hash_key.get_secret_value() == DEVELOPMENT_HASH_KEY
        ):
            raise ValueError("the development personal-data keys must not be used in production")
        return self

    @field_validator("reference_format")
    @classmethod
    def _reference_format(cls, value: str) -> str:
        if "{n}" not in value:
            raise ValueError("reference_format must contain {n}")
        try:
            value.format(year=2025, n=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError("reference_format may only use {year} and {n}") from exc
        return value

    @field_validator("deadlines")
    @classmethod
    def _known_kinds(cls, value: dict[str, DeadlineRule]) -> dict[str, DeadlineRule]:
        unknown = set(value) - {kind.value for kind in CaseKind}
        if unknown:
            raise ValueError(f"deadlines for unknown case kinds: {sorted(unknown)}")
        return value
