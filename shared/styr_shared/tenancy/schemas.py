"""API contract of the settings history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SettingChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    municipality_id: str
    setting: str = Field(description="Which list or document, e.g. `fiscal_year`, `category`.")
    key: str = Field(description="Which entry of it, e.g. `2025`.")
    action: Literal["created", "updated", "deleted"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_by: str
    changed_at: datetime
