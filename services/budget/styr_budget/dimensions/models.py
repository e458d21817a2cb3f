"""Code lists of a municipality, kept as data: years, activity codes, account groups, mappings.

Every list belongs to one municipality (``municipality_id``: the id of its root org unit) and
its codes are unique within it, not across the deployment: Trosa's activity code 55 and
Oxelösund's are two rows with names of their own.

The rows that use a code (budget lines, outcome, forecasts, measures, explanations, frames)
carry their municipality too and point at the code with a composite foreign key
``(municipality_id, code)``. We chose composite keys over dropping the keys for checks in the
service: the database itself then refuses a line of one municipality that names another's
code, whatever path wrote it (the demo loader, a bulk insert, a future endpoint), and every
join on a code is written on both columns, so a query that forgets the municipality does not
match another municipality's rows. The service still checks codes first, to answer 422 naming
the field rather than an integrity error.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from styr_shared.types import JSONDocument

MUNICIPALITY_DESCRIPTION = "The municipality (its root org unit's id) whose setting this is."


def code_fk(table: str, column: str, target: str, target_column: str) -> ForeignKeyConstraint:
    """``(municipality_id, column)`` → ``target(municipality_id, target_column)``, named."""
    return ForeignKeyConstraint(
        ["municipality_id", column],
        [f"{target}.municipality_id", f"{target}.{target_column}"],
        name=f"fk_{table}_{column}",
    )


class FiscalYear(SQLModel, table=True):
    __tablename__ = "fiscal_year"

    municipality_id: str = Field(
        primary_key=True, max_length=64, description=MUNICIPALITY_DESCRIPTION
    )
    year: int = Field(primary_key=True, ge=2000, le=2100)
    follow_up_months: list[int] = Field(sa_column=Column(JSONDocument, nullable=False))
    closed: bool = False


class ActivityCode(SQLModel, table=True):
    """A *verksamhet* code, e.g. 55 "Vård och omsorg, SoL och HSL"."""

    __tablename__ = "activity_code"

    municipality_id: str = Field(
        primary_key=True, max_length=64, description=MUNICIPALITY_DESCRIPTION
    )
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)


class AccountGroup(SQLModel, table=True):
    """A revenue or cost category (personal, lokaler, avgiftsintäkter …).

    ``kind``: ``revenue``, ``cost``, ``net`` (a budget known only as a net, e.g. a revised
    budget per activity code) or ``allocation`` (*anslag*, the committee's funding from the
    council; outside the net, inside the result).
    """

    __tablename__ = "account_group"

    municipality_id: str = Field(
        primary_key=True, max_length=64, description=MUNICIPALITY_DESCRIPTION
    )
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

    municipality_id: str = Field(
        primary_key=True, max_length=64, description=MUNICIPALITY_DESCRIPTION
    )
    key: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    weights: list[str] = Field(sa_column=Column(JSONDocument, nullable=False))


class AccountMapping(SQLModel, table=True):
    """Ledger accounts ``account_from``–``account_to`` (inclusive) book on an account group.

    Ranges do not overlap within a municipality (checked by the service); two municipalities
    map the same accounts as they each like."""

    __tablename__ = "account_mapping"
    __table_args__ = (code_fk("account_mapping", "account_group_key", "account_group", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description=MUNICIPALITY_DESCRIPTION)
    account_from: int = Field(index=True)
    account_to: int
    account_group_key: str = Field(max_length=40)


class ObjectMapping(SQLModel, table=True):
    """A ledger object (SIE ``#OBJEKT``) of a dimension names an org unit and/or activity.

    The unit belongs to the mapping's municipality (checked by the service: the org tree is
    the goals service's, so no foreign key can say it)."""

    __tablename__ = "object_mapping"
    __table_args__ = (
        UniqueConstraint(
            "municipality_id", "dimension", "object_code", name="uq_object_mapping_object"
        ),
        code_fk("object_mapping", "activity_code", "activity_code", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: str = Field(max_length=64, description=MUNICIPALITY_DESCRIPTION)
    dimension: int
    object_code: str = Field(max_length=40)
    org_unit_id: str | None = Field(default=None, max_length=64)
    activity_code: str | None = Field(default=None, max_length=20)
