"""Monthly outcome rows and the imports that wrote them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric
from sqlmodel import Column, Field, SQLModel

from styr_budget.dimensions.models import code_fk
from styr_shared.types import JSONDocument, UTCDateTime, utcnow


class OutcomeImport(SQLModel, table=True):
    __tablename__ = "outcome_import"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(
        max_length=64, description="The municipality the import acted in (its rows, mappings)."
    )
    source: str = Field(
        max_length=100,
        description="Whose rows these are: the exporting program (#PROGRAM), csv, demo or "
        "the importer's ?source=; an import replaces only rows of its own source.",
    )
    format: str = Field(default="sie", max_length=10, description="sie, csv or demo")
    filename: str | None = Field(default=None, max_length=300)
    sha256: str = Field(max_length=64)
    periods: list[str] = Field(sa_column=Column(JSONDocument, nullable=False))
    transactions: int
    rows: int
    replaced_rows: int
    rows_defaulted: int = 0
    accounts_skipped: int = 0
    vouchers_skipped: int = 0
    warnings: list[str] = Field(
        default_factory=list, sa_column=Column(JSONDocument, nullable=False)
    )
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Outcome(SQLModel, table=True):
    """Outcome of one month, summed per org unit × activity × account group (result sign)."""

    __tablename__ = "outcome"
    __table_args__ = (
        Index("ix_outcome_year_month_unit", "year", "month", "org_unit_id"),
        code_fk("outcome", "activity_code", "activity_code", "code"),
        code_fk("outcome", "account_group_key", "account_group", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="outcome_import.id", index=True)
    municipality_id: str = Field(max_length=64, description="The unit's municipality.")
    source: str = Field(max_length=100, description="The import's source (see OutcomeImport).")
    year: int
    month: int
    org_unit_id: str = Field(max_length=64)
    activity_code: str | None = Field(default=None, max_length=20)
    account_group_key: str = Field(max_length=40)
    amount: Decimal = Field(sa_type=Numeric(18, 2))


MONTH_COLUMNS = tuple(f"m{month:02d}" for month in range(1, 13))


class OutcomeYear(SQLModel, table=True):
    """The outcome rows of one year side by side (``m01``…``m12``): a rollup of
    :class:`Outcome`, rebuilt in the same transaction by every import, so a summary sums one
    row per unit × activity × group instead of twelve."""

    __tablename__ = "outcome_year"
    __table_args__ = (Index("ix_outcome_year_year_unit", "year", "org_unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description="The unit's municipality.")
    year: int
    org_unit_id: str = Field(max_length=64)
    activity_code: str | None = Field(default=None, max_length=20)
    account_group_key: str = Field(max_length=40)
    m01: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m02: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m03: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m04: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m05: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m06: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m07: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m08: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m09: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m10: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m11: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
    m12: Decimal = Field(default=Decimal(0), sa_type=Numeric(18, 2))
