"""municipalities as tenants: cases, categories, case settings and reference series per municipality

Revision ID: 0004_municipalities
Revises: 0003
Create Date: 2026-12-03 14:00:00

What existing data becomes:

- The org replica gets ``municipality_id`` (the root of each unit's tree), and the service the
  shared settings history ``setting_change``.
- Every case gets ``municipality_id``: the municipality the replica gives its unit. A case whose
  unit the replica does not know goes to the deployment's only municipality (the only root in
  the replica); with no root or several, it is filed under its unit's id as the best guess (as
  the replica does for a unit whose parent it never saw) and an operator should look at it.
  Reference numbers, serials and migrated external ids become unique per municipality.
- Reference counters are keyed by municipality and series: each old series goes to every
  municipality that has cases in it, with its last serial, so numbering continues without a
  gap or a repeat (the next Oxelösund case of 2025 follows the last ``VON.2025.n``). A counter
  no case uses goes to the only municipality, or is dropped where there are several.
- Case settings, which were environment variables, become a document per municipality: every
  root in the replica (before this revision: Oxelösund alone) gets the values the service used,
  i.e. ``STYR_DEVIATIONS_REFERENCE_FORMAT``, ``_RISK_MATRIX``, ``_DEADLINES``,
  ``_STATISTICS_SUPPRESSION_THRESHOLD`` (raised to the new minimum 3) and
  ``_PUBLIC_INTAKE_UNIT`` where they are set in the migrating process's environment, else their
  defaults (``VON.{year}.{n}``, the 4 × 4 matrix, same day / 1 month / 3 weeks, 5,
  ``oxelosund-vof``). The intake unit goes only to the municipality whose tree holds it.
- Categories: a new, empty table of the municipalities' own codes, labels and retirements.

Downgrade undoes all this while the data fits the old schema: one series per year across the
deployment (counters keep the highest serial of each series), reference numbers unique
across municipalities and series texts within the old 60 characters; where data does not fit
(two municipalities sharing a number) it refuses rather than drop anything.
"""

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import styr_shared.types
from styr_shared.orgreplica.migration import add_municipality_column, drop_municipality_column
from styr_shared.tenancy.migration import create_setting_change_table, drop_setting_change_table

revision: str = "0004_municipalities"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
CHILDREN = ("case_action", "case_history")  # tables whose foreign keys point at deviation_case
# The service's built-in values before this revision (styr_deviations.settings at 0003).
LEGACY_INTAKE_UNIT = "oxelosund-vof"
LEGACY_DOCUMENT: dict[str, Any] = {
    "reference_format": "VON.{year}.{n}",
    "series_scope": "municipality",
    "risk_matrix": {
        "probability": [
            {"value": 1, "label": "Mycket liten"},
            {"value": 2, "label": "Liten"},
            {"value": 3, "label": "Stor"},
            {"value": 4, "label": "Mycket stor"},
        ],
        "consequence": [
            {"value": 1, "label": "Lindrig"},
            {"value": 2, "label": "Kännbar"},
            {"value": 3, "label": "Allvarlig"},
            {"value": 4, "label": "Katastrofal"},
        ],
        "levels": [
            {"key": "low", "label": "Låg risk", "min_score": 1, "route_to_mas": False},
            {"key": "moderate", "label": "Måttlig risk", "min_score": 4, "route_to_mas": False},
            {"key": "high", "label": "Hög risk", "min_score": 8, "route_to_mas": True},
            {"key": "very_high", "label": "Mycket hög risk", "min_score": 12, "route_to_mas": True},
        ],
        "mas_min_consequence": 3,
    },
    "deadlines": {
        "deviation": {"milestone": "received", "days": 0, "months": 0},
        "external_deviation": {"milestone": "received", "days": 0, "months": 0},
        "complaint": {"milestone": "answered", "days": 0, "months": 1},
        "feedback": {"milestone": "answered", "days": 21, "months": 0},
    },
    "intake_unit_id": None,
    "suppression_threshold": 5,
}

cases_table = sa.table(
    "deviation_case",
    sa.column("id"),
    sa.column("org_unit_id"),
    sa.column("municipality_id"),
    sa.column("series"),
)
units_table = sa.table(
    "org_unit", sa.column("id"), sa.column("parent_id"), sa.column("municipality_id")
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _external_id_key() -> str:
    # the name each backend gave the old UNIQUE (external_id); on SQLite it had none, and
    # the naming convention below names it so
    return "uq_deviation_case_external_id" if _is_sqlite() else "deviation_case_external_id_key"


NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


@contextmanager
def _children_set_aside() -> Iterator[None]:
    """On SQLite, rebuilding deviation_case drops the old table, and that trips the foreign
    keys of its children's rows (a migration runs in a transaction, where foreign keys cannot
    be turned off): the children's rows wait in a copy meanwhile. PostgreSQL alters in place."""
    if not _is_sqlite():
        yield
        return
    # (table names from CHILDREN, not input)
    for table in CHILDREN:
        op.execute(f"CREATE TABLE _held_{table} AS SELECT * FROM {table}")  # noqa: S608
        op.execute(f"DELETE FROM {table}")  # noqa: S608 (case_history refuses UPDATE only)
    yield
    for table in CHILDREN:
        op.execute(f"INSERT INTO {table} SELECT * FROM _held_{table}")  # noqa: S608
        op.execute(f"DROP TABLE _held_{table}")


def _roots() -> list[str]:
    rows = op.get_bind().execute(
        sa.select(units_table.c.id).where(units_table.c.parent_id.is_(None))
    )
    return sorted(str(row[0]) for row in rows)


def _legacy_settings() -> tuple[dict[str, Any], str]:
    """The settings the service used before this revision (from the environment, else built
    in) and its intake unit. Read before any change: a value that cannot be carried over
    stops the migration while nothing is altered yet (SQLite does not roll back DDL)."""
    document = json.loads(json.dumps(LEGACY_DOCUMENT))
    env = os.environ
    if env.get("STYR_DEVIATIONS_REFERENCE_FORMAT"):
        document["reference_format"] = _legacy_format(env["STYR_DEVIATIONS_REFERENCE_FORMAT"])
    if env.get("STYR_DEVIATIONS_RISK_MATRIX"):
        document["risk_matrix"] = _known_keys(
            json.loads(env["STYR_DEVIATIONS_RISK_MATRIX"]), LEGACY_DOCUMENT["risk_matrix"]
        )
    if env.get("STYR_DEVIATIONS_DEADLINES"):
        document["deadlines"] = {
            kind: {k: v for k, v in rule.items() if k in ("milestone", "days", "months")}
            for kind, rule in json.loads(env["STYR_DEVIATIONS_DEADLINES"]).items()
        }
    if env.get("STYR_DEVIATIONS_STATISTICS_SUPPRESSION_THRESHOLD"):
        threshold = int(env["STYR_DEVIATIONS_STATISTICS_SUPPRESSION_THRESHOLD"])
        document["suppression_threshold"] = min(max(threshold, 3), 100)
    return document, env.get("STYR_DEVIATIONS_PUBLIC_INTAKE_UNIT") or LEGACY_INTAKE_UNIT


def _document_for(root: str, legacy: dict[str, Any], intake: str) -> dict[str, Any]:
    """The legacy settings for one municipality: the intake unit only where it is its unit."""
    owner = (
        op.get_bind()
        .execute(sa.select(units_table.c.municipality_id).where(units_table.c.id == intake))
        .scalar()
    )
    return legacy | {"intake_unit_id": intake if owner == root else None}


def _legacy_format(value: str) -> str:
    """The old format (``{year}`` and ``{n}``), if the settings document can hold it: better
    to stop here than store settings the service cannot read."""
    longest = value.replace("{year}", "2100").replace("{n}", "9999999")
    if "{n}" not in value or len(value) > 60 or len(longest) > 60:
        raise RuntimeError(
            f"STYR_DEVIATIONS_REFERENCE_FORMAT={value!r} does not fit a municipality's case "
            "settings (it needs {n}, at most 60 characters, and numbers of at most 60); "
            "shorten it, or unset it to migrate with VON.{year}.{n}, and run the migration again"
        )
    return value


def _known_keys(value: Any, model: Any) -> Any:
    """``value`` with only the keys the settings document knows (the old settings ignored
    others; the document refuses them)."""
    if isinstance(value, dict) and isinstance(model, dict):
        return {k: _known_keys(v, model[k]) for k, v in value.items() if k in model}
    if isinstance(value, list) and isinstance(model, list) and model:
        return [_known_keys(item, model[0]) for item in value]
    return value


def _cases_to_municipalities(roots: list[str]) -> None:
    op.add_column(
        "deviation_case",
        sa.Column("municipality_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    of_unit = (
        sa.select(units_table.c.municipality_id)
        .where(units_table.c.id == cases_table.c.org_unit_id)
        .scalar_subquery()
    )
    op.execute(cases_table.update().values(municipality_id=of_unit))
    missing = cases_table.c.municipality_id.is_(None)
    fallback: Any = roots[0] if len(roots) == 1 else cases_table.c.org_unit_id
    op.execute(cases_table.update().where(missing).values(municipality_id=fallback))
    with (
        _children_set_aside(),
        op.batch_alter_table("deviation_case", naming_convention=NAMING) as batch_op,
    ):
        batch_op.alter_column(
            "municipality_id",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
        )
        batch_op.alter_column(
            "series",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
            type_=sqlmodel.sql.sqltypes.AutoString(length=80),
            existing_nullable=False,
        )
        batch_op.drop_index("ix_deviation_case_reference_number")
        batch_op.create_index("ix_deviation_case_reference_number", ["reference_number"])
        batch_op.create_index("ix_deviation_case_municipality_id", ["municipality_id"])
        batch_op.drop_constraint("uq_deviation_case_serial", type_="unique")
        batch_op.drop_constraint(_external_id_key(), type_="unique")
        batch_op.create_unique_constraint(
            "uq_deviation_case_reference_number", ["municipality_id", "reference_number"]
        )
        batch_op.create_unique_constraint(
            "uq_deviation_case_serial", ["municipality_id", "series", "serial"]
        )
        batch_op.create_unique_constraint(
            "uq_deviation_case_external_id", ["municipality_id", "external_id"]
        )


def _rebuild_counters(rows: list[dict[str, Any]], municipal: bool) -> None:
    """The counter table is a row per series and year: rebuilt from its rows in memory."""
    op.drop_table("reference_counter")
    series = sa.Column(
        "series", sqlmodel.sql.sqltypes.AutoString(length=80 if municipal else 60), nullable=False
    )
    last_value = sa.Column("last_value", sa.Integer(), nullable=False)
    if municipal:
        municipality = sa.Column(
            "municipality_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        )
        key = sa.PrimaryKeyConstraint("municipality_id", "series")
        table = op.create_table("reference_counter", municipality, series, last_value, key)
    else:
        table = op.create_table(
            "reference_counter", series, last_value, sa.PrimaryKeyConstraint("series")
        )
    if rows:
        op.bulk_insert(table, rows)


def _counters_to_municipalities(roots: list[str]) -> None:
    bind = op.get_bind()
    old = {
        str(s): int(n)
        for s, n in bind.execute(sa.text("SELECT series, last_value FROM reference_counter"))
    }
    users: dict[str, set[str]] = {}
    if old:
        pairs = bind.execute(
            sa.select(cases_table.c.series, cases_table.c.municipality_id)
            .where(cases_table.c.series.in_(sorted(old)))
            .distinct()
        )
        for series, municipality in pairs:
            users.setdefault(str(series), set()).add(str(municipality))
    rows = [
        {"municipality_id": municipality, "series": series, "last_value": last}
        for series, last in sorted(old.items())
        for municipality in sorted(users.get(series) or (set(roots) if len(roots) == 1 else set()))
    ]
    _rebuild_counters(rows, municipal=True)


def upgrade() -> None:
    legacy, intake = _legacy_settings()
    add_municipality_column()
    create_setting_change_table()
    roots = _roots()
    _cases_to_municipalities(roots)
    _counters_to_municipalities(roots)

    op.create_table(
        "deviation_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("category_group", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("valid_from_year", sa.Integer(), nullable=True),
        sa.Column("valid_to_year", sa.Integer(), nullable=True),
        sa.Column("updated_at", styr_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "code", name="uq_deviation_category_code"),
    )
    op.create_index(
        "ix_deviation_category_municipality_id", "deviation_category", ["municipality_id"]
    )
    settings = op.create_table(
        "deviation_case_settings",
        sa.Column("municipality_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("updated_at", styr_shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("municipality_id"),
    )
    now = datetime.now(UTC)
    documents = [
        {
            "municipality_id": root,
            "document": _document_for(root, legacy, intake),
            "updated_at": now,
            "updated_by": "migration 0004",
        }
        for root in roots
    ]
    if documents:
        op.bulk_insert(settings, documents)


def downgrade() -> None:
    op.drop_table("deviation_case_settings")
    op.drop_index("ix_deviation_category_municipality_id", table_name="deviation_category")
    op.drop_table("deviation_category")

    bind = op.get_bind()
    highest: dict[str, int] = {}
    for series, last in bind.execute(sa.text("SELECT series, last_value FROM reference_counter")):
        highest[str(series)] = max(highest.get(str(series), 0), int(last))
    _rebuild_counters(
        [{"series": series, "last_value": last} for series, last in sorted(highest.items())],
        municipal=False,
    )

    with (
        _children_set_aside(),
        op.batch_alter_table("deviation_case", naming_convention=NAMING) as batch_op,
    ):
        batch_op.drop_constraint("uq_deviation_case_external_id", type_="unique")
        batch_op.drop_constraint("uq_deviation_case_serial", type_="unique")
        batch_op.drop_constraint("uq_deviation_case_reference_number", type_="unique")
        batch_op.drop_index("ix_deviation_case_municipality_id")
        batch_op.drop_index("ix_deviation_case_reference_number")
        batch_op.create_index(
            "ix_deviation_case_reference_number", ["reference_number"], unique=True
        )
        batch_op.create_unique_constraint("uq_deviation_case_serial", ["series", "serial"])
        batch_op.create_unique_constraint(_external_id_key(), ["external_id"])
        batch_op.alter_column(
            "series",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
            type_=sqlmodel.sql.sqltypes.AutoString(length=60),
            existing_nullable=False,
        )
        batch_op.drop_column("municipality_id")

    drop_setting_change_table()
    drop_municipality_column()
