"""Code lists of a municipality, kept as data: years, activity codes, account groups, mappings."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from styr_shared.types import JSONDocument


class FiscalYear(SQLModel, table=True):
    __tablename__ = "fiscal_year"

    year: int = Field(primary_key=True, ge=2000, le=2100)
    follow_up_months: list[int] = Field(sa_column=Column(JSONDocument, nullable=False))
    closed: bool = False


class ActivityCode(SQLModel, table=True):
    """A *verksamhet* code, e.g. 55 "Vård och omsorg, SoL och HSL"."""

    __tablename__ = "activity_code"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)


class AccountGroup(SQLModel, table=True):
    """A revenue or cost category (personal, lokaler, avgiftsintäkter …).

    ``kind``: ``revenue``, ``cost``, ``net`` (a budget known only as a net, e.g. a revised
    budget per activity code) or ``allocation`` (*anslag*, the committee's funding from the
    council; outside the net, inside the result).
    """

    __tablename__ = "account_group"

    key: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    sort_order: int = 0
    periodisation: str | None = Field(
        default=None, max_length=40, description="Default periodisation key of its lines."
    )


class PeriodisationKey(SQLModel, table=True):
    """A named periodisation key: twelve weights (e.g. a holiday-pay profile with a low July).

    The built-in keys ``linear`` and ``previous_year_outcome`` are not stored."""

    __tablename__ = "periodisation_key"

    key: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    weights: list[str] = Field(sa_column=Column(JSONDocument, nullable=False))


class AccountMapping(SQLModel, table=True):
    """Ledger accounts ``account_from``–``account_to`` (inclusive) book on an account group."""

    __tablename__ = "account_mapping"

    id: int | None = Field(default=None, primary_key=True)
    account_from: int = Field(index=True)
    account_to: int
    account_group_key: str = Field(foreign_key="account_group.key", max_length=40)


class ObjectMapping(SQLModel, table=True):
    """A ledger object (SIE ``#OBJEKT``) of a dimension names an org unit and/or activity."""

    __tablename__ = "object_mapping"
    __table_args__ = (UniqueConstraint("dimension", "object_code"),)

    id: int | None = Field(default=None, primary_key=True)
    dimension: int
    object_code: str = Field(max_length=40)
    org_unit_id: str | None = Field(default=None, max_length=64)
    activity_code: str | None = Field(default=None, foreign_key="activity_code.code", max_length=20)
