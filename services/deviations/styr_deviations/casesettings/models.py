"""The stored case settings of a municipality (one validated document each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Column, Field, SQLModel

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class CaseSettingsRow(SQLModel, table=True):
    """A municipality without a row uses the national defaults (``schemas.NATIONAL_DEFAULTS``)."""

    __tablename__ = "deviation_case_settings"

    municipality_id: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=200)
