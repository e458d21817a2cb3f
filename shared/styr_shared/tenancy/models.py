"""The history of a municipality's settings: one row per write, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class SettingChange(SQLModel, table=True):
    __tablename__ = "setting_change"
    __table_args__ = (Index("ix_setting_change_municipality_seq", "municipality_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64)
    setting: str = Field(max_length=40, description="Which list or document, e.g. `fiscal_year`.")
    key: str = Field(max_length=120, description="Which entry of it, e.g. `2025`.")
    action: str = Field(max_length=10, description="`created`, `updated` or `deleted`.")
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    changed_by: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
