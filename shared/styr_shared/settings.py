"""Settings read from the environment (pydantic-settings).

Every service has its own prefix (``STYR_GOALS_``, ``STYR_BUDGET_``, ``STYR_DEVIATIONS_``,
``STYR_GATEWAY_``); auth is common to all of them and read with ``STYR_AUTH_``, because the
services must agree on who the caller is. Each field's description is the documentation of the
variable; ``README.md`` lists them all.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "styr-development-secret-not-for-production"  # noqa: S105 (documented dev default)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class HttpImplementation(StrEnum):
    H11 = "h11"
    HTTPTOOLS = "httptools"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class AuthSettings(BaseSettings):
    """How bearer tokens are verified (``STYR_AUTH_*``), shared by all services."""

    model_config = SettingsConfigDict(env_prefix="STYR_AUTH_", extra="ignore")

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="`development` accepts HS256 tokens signed with the dev secret; "
        "`production` requires a JWKS URL (RS256) and refuses the dev secret.",
    )
    jwks_url: str | None = Field(
        None, description="The OIDC issuer's JWKS URL; when set, RS256 tokens are verified with it."
    )
    hs256_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        description="Shared secret for HS256 development tokens (`make token`).",
    )
    issuer: str = Field("styr-dev", description="Expected `iss` claim.")
    audience: str = Field("styr", description="Expected `aud` claim.")
    leeway_seconds: int = Field(30, ge=0, le=600, description="Clock skew tolerated on exp/nbf.")
    max_token_lifetime_seconds: int = Field(
        24 * 3600,
        ge=60,
        description="Longest token lifetime accepted (`exp` minus `iat`, and `exp` minus now); "
        "a longer-lived token is refused with 401.",
    )

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if not self.jwks_url:
                raise ValueError("STYR_AUTH_JWKS_URL is required in production")
            if self.hs256_secret.get_secret_value() == DEVELOPMENT_SECRET:
                raise ValueError("the development HS256 secret must not be used in production")
        return self


class ServiceSettings(BaseSettings):
    """Settings every service has; subclasses set the prefix and defaults."""

    model_config = SettingsConfigDict(extra="ignore")
    service_name: ClassVar[str]
    default_port: ClassVar[int]

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(0, ge=0, le=65535, description="TCP port (0 = the service's default).")
    log_level: str = Field("INFO", description="Python log level.")
    log_format: LogFormat = Field(
        LogFormat.JSON, description="`json` (one object per line) or `console` (readable)."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted; larger gets 413."
    )
    max_header_bytes: int = Field(
        8192,
        ge=1024,
        le=1_048_576,
        description="Largest single request header (a bearer token is far smaller); a larger "
        "one, or all headers together over 8 times this, gets 431.",
    )
    http_implementation: HttpImplementation = Field(
        HttpImplementation.H11,
        description="Uvicorn's HTTP parser. `h11` refuses headers over 8 times "
        "`max_header_bytes` while they arrive; `httptools` is a little faster per request "
        "but has no header limit (a 64 MiB header held the event loop for 9 s, measured).",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. `10.0.0.0/8`) of the proxies whose "
        "`X-Forwarded-For`/`X-Forwarded-Proto` headers are believed; from anyone else (and "
        "when empty, the default) they are ignored and the client is the connection's peer.",
    )

    @model_validator(mode="after")
    def _default_port(self) -> Self:
        if self.port == 0:
            self.port = self.default_port
        return self

    @property
    def auth(self) -> AuthSettings:
        return AuthSettings()


class DatabaseServiceSettings(ServiceSettings):
    """A service that owns a database."""

    database_url: str = Field(
        "",
        description="SQLAlchemy async URL: `sqlite+aiosqlite:///var/<service>.db` (default) or "
        "`postgresql+asyncpg://user@host:5432/db`.",
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL connection pool size.")
    sql_echo: bool = Field(False, description="Log every SQL statement (debugging only).")

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{Path('var') / self.service_name}.db"
        return self
