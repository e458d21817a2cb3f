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
    """A default level of the organisation tree, for every municipality of the deployment.

    Only an unrestricted admin writes them. A municipality relabels or extends them with
    its own (``MunicipalityOrgLevel``); a unit's level is a key of its municipality's
    effective list (defaults overridden and extended by its own).
    """

    __tablename__ = "org_level"

    key: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=100)
    rank: int = Field(description="0 is the top (municipality); larger is deeper.")


class MunicipalityOrgLevel(SQLModel, table=True):
    """A municipality's own level: a new one, or a default's key with its own label/rank."""

    __tablename__ = "municipality_org_level"

    municipality_id: str = Field(foreign_key="org_unit.id", primary_key=True, max_length=64)
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
    # No foreign key: a level may be one only the unit's municipality has (checked on write).
    level: str = Field(max_length=40)
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
