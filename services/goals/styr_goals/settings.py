"""Goals service settings (``STYR_GOALS_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from styr_shared.settings import DatabaseServiceSettings


class GoalsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STYR_GOALS_", extra="ignore")
    service_name: ClassVar[str] = "goals"
    default_port: ClassVar[int] = 8001

    import_max_bytes: int = Field(
        4 << 30,
        ge=1024,
        description="Largest measure-value import accepted, counted after gzip decompression "
        "(the file is spooled to a temporary file, never held in memory).",
    )
