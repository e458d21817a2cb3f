"""municipalities: settings per municipality, composite code keys, settings history

Revision ID: 0006_municipalities
Revises: 0005_monthly_budgets
Create Date: 2026-12-04 10:00:00

The municipality (the root org unit) becomes the tenant of the budget settings:

- the org replica gets ``municipality_id`` (the root of each unit's tree), and the service gets
  the ``setting_change`` history table;
- ``fiscal_year``, ``activity_code``, ``account_group`` and ``periodisation_key`` are keyed
  ``(municipality_id, year/code/key)``; ``account_mapping`` and ``object_mapping`` carry
  ``municipality_id`` (object mappings unique per ``(municipality_id, dimension,
  object_code)``);
- the rows that use a code (``budget_frame``, ``budget_entry``, ``outcome``, ``forecast``,
  ``balance_measure``, ``result_explanation``, and the mappings) carry ``municipality_id`` and
  point at the code with a composite foreign key ``(municipality_id, code)``; ``outcome_year``
  and ``outcome_import`` carry it too (the rollup and the replacement are per municipality).

**Which municipality existing rows get.** Before this revision there was one set of settings,
so every existing row gets the same municipality M:

1. the only root of the org replica, when it has exactly one;
2. else the one municipality (by the replica) of the units the budget data names: the
   committees of frames, versions and measures, the units of budget lines, outcome,
   forecasts, reports and object mappings;
3. else, when the tables are empty, nothing needs one; otherwise the upgrade stops with an
   error saying why (an empty replica, or data of several municipalities), and changes
   nothing: let the service read the goals service's org feed first (run the previous
   version once), or split the data by hand.

**Downgrade** goes back to one set of codes: it refuses, with an error naming them, when two
municipalities have the same fiscal year, activity code, account group key, periodisation key
or SIE object, or account ranges that overlap; with one municipality's settings (or disjoint
ones) it keeps every row. The ``municipality_id`` columns, the history and the replica's
column are dropped.

SQLite runs migrations in one transaction with foreign keys on, where a table that another
table's key points at cannot be dropped and rebuilt: so the codes' foreign keys are dropped
first (rebuilding the referencing tables), then the code tables are rebuilt with their new
keys, then the referencing tables get their composite keys. ``outcome_import`` (which
``outcome`` points at) gets its column in place (``NOT NULL DEFAULT ''`` on SQLite, as 0003
did).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from styr_shared.orgreplica.migration import add_municipality_column, drop_municipality_column
from styr_shared.tenancy.migration import create_setting_change_table, drop_setting_change_table

revision: str = "0006_municipalities"
down_revision: str | Sequence[str] | None = "0005_monthly_budgets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _municipality_column(nullable: bool = False) -> sa.Column[Any]:
    return sa.Column("municipality_id", _string(64), nullable=nullable)


def _code_table_columns(name: str) -> list[sa.Column[Any]]:
    """A code table's columns besides the municipality (as 0002 and 0005 made them)."""
    if name == "fiscal_year":
        return [
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("follow_up_months", JSON, nullable=False),
            sa.Column("closed", sa.Boolean(), nullable=False),
        ]
    if name == "activity_code":
        return [
            sa.Column("code", _string(20), nullable=False),
            sa.Column("name", _string(200), nullable=False),
        ]
    if name == "account_group":
        return [
            sa.Column("key", _string(40), nullable=False),
            sa.Column("name", _string(200), nullable=False),
            sa.Column("kind", _string(20), nullable=False),
            sa.Column("sort_order", sa.Integer(), nullable=False),
            sa.Column("periodisation", _string(40), nullable=True),
        ]
    return [
        sa.Column("key", _string(40), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("weights", JSON, nullable=False),
    ]


# The code tables and their key within a municipality.
CODE_TABLES: dict[str, str] = {
    "fiscal_year": "year",
    "activity_code": "code",
    "account_group": "key",
    "periodisation_key": "key",
}
# Referencing table → its columns that point at a code table: (column, code table, its key).
CODE_REFERENCES: dict[str, list[tuple[str, str, str]]] = {
    "budget_frame": [("year", "fiscal_year", "year")],
    "budget_entry": [
        ("activity_code", "activity_code", "code"),
        ("account_group_key", "account_group", "key"),
    ],
    "outcome": [
        ("activity_code", "activity_code", "code"),
        ("account_group_key", "account_group", "key"),
    ],
    "forecast": [
        ("activity_code", "activity_code", "code"),
        ("account_group_key", "account_group", "key"),
    ],
    "balance_measure": [("activity_code", "activity_code", "code")],
    "result_explanation": [("activity_code", "activity_code", "code")],
    "account_mapping": [("account_group_key", "account_group", "key")],
    "object_mapping": [("activity_code", "activity_code", "code")],
}
ROLLUP = "outcome_year"  # carries the municipality, points at nothing
IMPORTS = "outcome_import"  # carries the municipality; ``outcome`` points at it
OLD_OBJECT_UNIQUE = "object_mapping_dimension_object_code_key"
NEW_OBJECT_UNIQUE = "uq_object_mapping_object"
# What SQLite's reflection calls the unnamed constraints of 0002 (PostgreSQL has real names).
SQLITE_NAMES = {
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "uq": "%(table_name)s_%(column_0_name)s_%(column_1_name)s_key",
}
# Units the budget data names, for rule 2 of the docstring.
UNIT_COLUMNS = [
    ("budget_frame", "committee_id"),
    ("budget_version", "committee_id"),
    ("balance_measure", "committee_id"),
    ("budget_entry", "org_unit_id"),
    ("outcome", "org_unit_id"),
    ("forecast", "org_unit_id"),
    ("result_report", "org_unit_id"),
    ("object_mapping", "org_unit_id"),
]


class MunicipalityMigrationError(RuntimeError):
    """The data cannot be given to (or taken from) a municipality without a person's choice."""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _has_rows(table: str) -> bool:
    bind = op.get_bind()
    return bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608


def _existing_municipality() -> str | None:
    """M of the docstring, or None when no row needs one. Decided before any change (on
    SQLite a failing migration does not undo all DDL), from the replica's parent links."""
    bind = op.get_bind()
    parents = {
        str(unit_id): parent_id
        for unit_id, parent_id in bind.execute(sa.text("SELECT id, parent_id FROM org_unit"))
    }
    roots = sorted(unit_id for unit_id, parent_id in parents.items() if parent_id is None)
    if len(roots) == 1:
        return roots[0]

    def root_of(unit_id: str) -> str | None:
        seen: set[str] = set()
        while unit_id in parents and unit_id not in seen:
            seen.add(unit_id)
            parent = parents[unit_id]
            if parent is None:
                return unit_id
            unit_id = str(parent)
        return None

    named = " UNION ".join(
        f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
        for table, column in UNIT_COLUMNS
    )
    units = [str(row[0]) for row in bind.execute(sa.text(named))]
    found = sorted({root for unit_id in units if (root := root_of(unit_id)) is not None})
    if len(found) == 1:
        return found[0]
    tables = [*CODE_TABLES, *CODE_REFERENCES, ROLLUP, IMPORTS]
    holding = [table for table in tables if _has_rows(table)]
    if not holding:
        return None
    if not found:
        raise MunicipalityMigrationError(
            f"0006_municipalities: budget data exists ({', '.join(holding)}) but the org replica "
            f"({len(roots)} root units) does not say which municipality it belongs to. Let the "
            "budget service read the goals service's org feed first (start the previous "
            "version once), then upgrade again. Nothing was changed."
        )
    raise MunicipalityMigrationError(
        "0006_municipalities: the budget data names units of several municipalities "
        f"({', '.join(found)}), but there was one set of settings before this revision, so the "
        "upgrade cannot tell whose they are. Nothing was changed."
    )


def _code_foreign_keys(table: str) -> list[str]:
    """Names of ``table``'s foreign keys onto the code tables (SQLite: as reflected with
    :data:`SQLITE_NAMES`)."""
    names = []
    for key in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if key["referred_table"] in CODE_TABLES:
            names.append(key["name"] or f"{table}_{key['constrained_columns'][0]}_fkey")
    return names


def _rebuild_code_table(name: str, with_municipality: bool) -> None:
    """Copy a code table into a new one with the municipality in its key (or without it)."""
    columns = _code_table_columns(name)
    new = f"_new_{name}"
    leading = [_municipality_column()] if with_municipality else []
    primary = ["municipality_id", CODE_TABLES[name]] if with_municipality else [CODE_TABLES[name]]
    # PostgreSQL names constraints per schema: the new key gets its final name after the drop
    key_name = f"{name}_pkey" if _sqlite() else f"{new}_pkey"
    op.create_table(new, *leading, *columns, sa.PrimaryKeyConstraint(*primary, name=key_name))
    copied = ", ".join(column.name for column in [*leading, *columns])
    op.execute(f"INSERT INTO {new} ({copied}) SELECT {copied} FROM {name}")  # noqa: S608
    op.drop_table(name)
    op.rename_table(new, name)
    if not _sqlite():
        op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {key_name} TO {name}_pkey")


def upgrade() -> None:
    municipality = _existing_municipality()
    add_municipality_column()
    create_setting_change_table()

    for table in [*CODE_TABLES, *CODE_REFERENCES, ROLLUP]:
        op.add_column(table, _municipality_column(nullable=True))
    if _sqlite():
        # in place: rebuilding outcome_import would trip outcome.import_id's key (see 0003)
        op.execute(
            f"ALTER TABLE {IMPORTS} ADD COLUMN municipality_id VARCHAR(64) NOT NULL DEFAULT ''"
        )
    else:
        op.add_column(IMPORTS, _municipality_column(nullable=True))
    if municipality is not None:
        for table in [*CODE_TABLES, *CODE_REFERENCES, ROLLUP, IMPORTS]:
            fill = sa.text(f"UPDATE {table} SET municipality_id = :m")  # noqa: S608
            op.execute(fill.bindparams(m=municipality))
    if not _sqlite():
        op.alter_column(IMPORTS, "municipality_id", existing_type=_string(64), nullable=False)

    # 1. the references onto the code tables go (and the municipality becomes required)
    for table in CODE_REFERENCES:
        with op.batch_alter_table(table, naming_convention=SQLITE_NAMES) as batch:
            for name in _code_foreign_keys(table):
                batch.drop_constraint(name, type_="foreignkey")
            if table == "object_mapping":
                batch.drop_constraint(OLD_OBJECT_UNIQUE, type_="unique")
            batch.alter_column("municipality_id", existing_type=_string(64), nullable=False)
    with op.batch_alter_table(ROLLUP) as batch:
        batch.alter_column("municipality_id", existing_type=_string(64), nullable=False)
    # 2. the code tables are keyed by municipality and code
    for name in CODE_TABLES:
        _rebuild_code_table(name, with_municipality=True)
    # 3. the references point at (municipality, code)
    for table, references in CODE_REFERENCES.items():
        with op.batch_alter_table(table) as batch:
            for column, target, key in references:
                batch.create_foreign_key(
                    f"fk_{table}_{column}",
                    target,
                    ["municipality_id", column],
                    ["municipality_id", key],
                )
            if table == "object_mapping":
                batch.create_unique_constraint(
                    NEW_OBJECT_UNIQUE, ["municipality_id", "dimension", "object_code"]
                )


def _collisions() -> list[str]:
    """What two municipalities share that the old schema keeps once."""
    bind = op.get_bind()
    found = []
    for name, key in CODE_TABLES.items():
        for row in bind.execute(
            sa.text(f"SELECT {key}, COUNT(*) FROM {name} GROUP BY {key} HAVING COUNT(*) > 1")  # noqa: S608
        ):
            found.append(f"{name} {row[0]} ({row[1]} municipalities)")
    for dimension, code, count in bind.execute(
        sa.text(
            "SELECT dimension, object_code, COUNT(*) FROM object_mapping "
            "GROUP BY dimension, object_code HAVING COUNT(*) > 1"
        )
    ):
        found.append(f"object_mapping {dimension}/{code} ({count} municipalities)")
    for first, second in bind.execute(
        sa.text(
            "SELECT a.id, b.id FROM account_mapping a JOIN account_mapping b "
            "ON a.municipality_id < b.municipality_id AND a.account_from <= b.account_to "
            "AND a.account_to >= b.account_from"
        )
    ):
        found.append(f"account_mapping {first} overlaps {second}")
    return found


def downgrade() -> None:
    collisions = _collisions()
    if collisions:
        listed = "; ".join(collisions[:20])
        raise MunicipalityMigrationError(
            "0006_municipalities: cannot go back to one set of budget settings while "
            f"municipalities share them: {listed}. Remove one municipality's settings (and the "
            "data using them) first. Nothing was changed."
        )
    # 1. the composite references go, with the municipality column
    for table, references in CODE_REFERENCES.items():
        with op.batch_alter_table(table) as batch:
            for column, _, _ in references:
                batch.drop_constraint(f"fk_{table}_{column}", type_="foreignkey")
            if table == "object_mapping":
                batch.drop_constraint(NEW_OBJECT_UNIQUE, type_="unique")
            batch.drop_column("municipality_id")
    with op.batch_alter_table(ROLLUP) as batch:
        batch.drop_column("municipality_id")
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): see the docstring
    op.drop_column(IMPORTS, "municipality_id")
    # 2. the code tables are keyed by code alone
    for name in CODE_TABLES:
        _rebuild_code_table(name, with_municipality=False)
    # 3. the references point at the code again (named as PostgreSQL names them in 0002)
    for table, references in CODE_REFERENCES.items():
        with op.batch_alter_table(table) as batch:
            for column, target, key in references:
                batch.create_foreign_key(f"{table}_{column}_fkey", target, [column], [key])
            if table == "object_mapping":
                batch.create_unique_constraint(OLD_OBJECT_UNIQUE, ["dimension", "object_code"])
    drop_setting_change_table()
    drop_municipality_column()
