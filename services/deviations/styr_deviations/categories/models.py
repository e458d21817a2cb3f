"""A municipality's changes to the national category list (one row per code it touches)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from styr_shared.types import UTCDateTime, utcnow


class MunicipalCategory(SQLModel, table=True):
    """For a code of the national list: a label of the municipality's own and/or the last year
    the municipality uses it (``valid_to_year``). For any other code: the municipality's own
    category, with its label, group and years."""

    __tablename__ = "deviation_category"
    __table_args__ = (
        UniqueConstraint("municipality_id", "code", name="uq_deviation_category_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, index=True)
    code: str = Field(max_length=60)
    label: str | None = Field(default=None, max_length=200)
    category_group: str | None = Field(default=None, max_length=20)
    valid_from_year: int | None = None
    valid_to_year: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=200)
