"""targets as plans write them: direction targets, gender baselines, qualitative values,
rate units, look-back, data units, skipped import rows

* ``measure_target.direction``: a target with no number ("Öka", "Minska", "Behålla").
* ``measure_baseline``: baselines of a series per gender (the series keeps the total's).
* ``measure_value.value`` becomes nullable; ``text`` and ``manual_status`` hold a
  qualitative value ("Genomfört") and the status a person gave it.
* ``measure.unit_label`` (a rate's unit), ``measure.lookback_years`` (how far back a
  follow-up looks for the latest available value), ``measure.data_org_unit_id`` (whose values
  the measure follows, e.g. the municipality's Kolada values in a committee's follow-up).
* ``import_run.skipped`` and ``skipped_reasons``: rows left out on purpose and counted.

Downgrading refuses while a qualitative value (no number) or a direction target is stored:
before this revision neither could be said, and dropping them is not ours to decide.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:10:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

from styr_shared.types import JSONDocument

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = sa.Numeric(precision=18, scale=4)
DATA_UNIT_FK = "fk_measure_data_org_unit"


def upgrade() -> None:
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table("measure", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("unit_label", sqlmodel.sql.sqltypes.AutoString(length=100))
            )
            batch_op.add_column(
                sa.Column("lookback_years", sa.Integer(), nullable=False, server_default="0")
            )
            batch_op.add_column(
                sa.Column("data_org_unit_id", sqlmodel.sql.sqltypes.AutoString(length=64))
            )
            batch_op.create_foreign_key(DATA_UNIT_FK, "org_unit", ["data_org_unit_id"], ["id"])
        with op.batch_alter_table("measure_value", schema=None) as batch_op:
            batch_op.alter_column("value", existing_type=NUMBER, nullable=True)
            batch_op.add_column(sa.Column("text", sa.Text()))
            batch_op.add_column(
                sa.Column("manual_status", sqlmodel.sql.sqltypes.AutoString(length=20))
            )
    with op.batch_alter_table("measure_target", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=20)))
    op.create_table(
        "measure_baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("value", NUMBER, nullable=True),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "segment", "gender", name="uq_measure_baseline"),
    )
    with op.batch_alter_table("measure_baseline", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_baseline_measure_id"), ["measure_id"], unique=False
        )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("skipped_reasons", JSONDocument, nullable=True))


def downgrade() -> None:
    _refuse_what_could_not_be_said_before()
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("skipped_reasons")
        batch_op.drop_column("skipped")
    with op.batch_alter_table("measure_baseline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_baseline_measure_id"))
    op.drop_table("measure_baseline")
    with op.batch_alter_table("measure_target", schema=None) as batch_op:
        batch_op.drop_column("direction")
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table("measure_value", schema=None) as batch_op:
            batch_op.drop_column("manual_status")
            batch_op.drop_column("text")
            batch_op.alter_column("value", existing_type=NUMBER, nullable=False)
        with op.batch_alter_table("measure", schema=None) as batch_op:
            batch_op.drop_constraint(DATA_UNIT_FK, type_="foreignkey")
            batch_op.drop_column("data_org_unit_id")
            batch_op.drop_column("lookback_years")
            batch_op.drop_column("unit_label")


def _refuse_what_could_not_be_said_before() -> None:
    bind = op.get_bind()
    values = sa.table("measure_value", sa.column("id"), sa.column("value"))
    targets = sa.table("measure_target", sa.column("id"), sa.column("direction"))
    texts = bind.execute(sa.select(sa.func.count()).where(values.c.value.is_(None))).scalar()
    directions = bind.execute(
        sa.select(sa.func.count()).where(targets.c.direction.is_not(None))
    ).scalar()
    if texts or directions:
        raise RuntimeError(
            "Cannot downgrade below revision 0008: "
            f"{texts} qualitative value(s) without a number and {directions} direction-only "
            "target(s) are stored, which earlier revisions cannot hold. Remove them first."
        )


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """As in 0006: other tables reference measure and measure_value, so SQLite's rebuild of
    them runs with key checks off, and every key of the database is checked after it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    _set_sqlite_foreign_keys(bind, enabled=False)
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"Foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        _set_sqlite_foreign_keys(bind, enabled=True)


def _set_sqlite_foreign_keys(bind: sa.engine.Connection, *, enabled: bool) -> None:
    for _ in range(2):
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
        if bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar()) == enabled:
            return
        bind.exec_driver_sql("COMMIT")
    raise RuntimeError("SQLite's foreign key checks could not be switched")
