"""Organisation: the unit tree every goal, value, budget line and case belongs to.

The goals service owns it; the budget and deviations services replicate it from the change
feed (``org_unit_change``), which records every create, rename, move and closure in order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class OrgLevel(SQLModel, table=True):
    """A level of the organisation tree; names differ per deployment, so they are data.

    Levels are shared by every municipality of the deployment (only an unrestricted admin
    writes them): the gateway reads them as one list keyed by ``key``.
    """

    __tablename__ = "org_level"

    key: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=100)
    rank: int = Field(description="0 is the top (municipality); larger is deeper.")


class OrgUnit(SQLModel, table=True):
    """A unit of a municipality's tree; a root (no parent) is a municipality, the tenant.

    ``municipality_id`` is the root of the unit's tree (a root names itself). A unit never
    leaves its municipality, so it is set once, on create. Codes are unique within a
    municipality (``VON`` may exist in Oxelösund and in Trosa); ids are unique everywhere.
    """

    __tablename__ = "org_unit"
    __table_args__ = (
        UniqueConstraint("municipality_id", "code", name="uq_org_unit_municipality_code"),
    )

    id: str = Field(primary_key=True, max_length=64)
    code: str = Field(max_length=40, index=True)
    municipality_id: str = Field(foreign_key="org_unit.id", max_length=64)
    name: str = Field(max_length=200)
    level: str = Field(foreign_key="org_level.key", max_length=40)
    parent_id: str | None = Field(default=None, foreign_key="org_unit.id", index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: str | None = Field(default=None, foreign_key="org_unit.id")
    kolada_id: str | None = Field(default=None, max_length=40, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgUnitChange(SQLModel, table=True):
    """One entry of the ordered, append-only org change feed."""

    __tablename__ = "org_unit_change"

    seq: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)
    effective_from: date | None = None
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=200)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    after: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
