"""Goals service settings (``STYR_GOALS_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from styr_shared.settings import DatabaseServiceSettings


class GoalsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STYR_GOALS_", extra="ignore")
    service_name: ClassVar[str] = "goals"
    default_port: ClassVar[int] = 8001

    import_max_bytes: int = Field(
        512 << 20,
        ge=1024,
        description="Largest measure-value import accepted, counted after gzip decompression "
        "(the file is spooled to a temporary file, never held in memory). A million values "
        "take about 60 MB of CSV.",
    )
    import_max_compression_ratio: int = Field(
        100,
        ge=2,
        description="Largest gzip expansion accepted: a body that decompresses to more than this "
        "many times its compressed size (beyond its first MiB) is refused with 413 at once. "
        "Real CSV and JSON files compress about 5 to 15 times.",
    )
    import_temp_dir: Path | None = Field(
        None,
        description="Where import bodies are spooled (e.g. a Kubernetes emptyDir with a size "
        "limit); the system temp dir when unset. Needs room for `import_max_bytes` per import "
        "running at once.",
    )
