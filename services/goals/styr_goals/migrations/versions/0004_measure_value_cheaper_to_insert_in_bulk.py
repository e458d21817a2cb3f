"""measure_value: cheaper to insert in bulk (unused indexes and the run's foreign key go)

Every query of values filters on the measure first, which the unique key's index
(measure_id, org_unit_id, period, segment, gender) serves; the single-column indexes on year
and period_end were never chosen, yet every inserted value paid for both (about 2 s per
million values in a night's import, measured with `make bench`).

import_run_id keeps its meaning (the run that last wrote the value) without a foreign key:
PostgreSQL checks a foreign key row by row, so a night's million new values paid 1.5 to 4.5 s
to be told a million times that the one run row they all name exists. Runs are append-only
(no API deletes them), which is what the key guarded. The keys to the measure and the org
unit stay: those rows can go, and a value must not outlive them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 06:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measure_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_value_year"))
        batch_op.drop_index(batch_op.f("ix_measure_value_period_end"))
        batch_op.drop_constraint("fk_measure_value_import_run", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("measure_value", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_measure_value_import_run", "import_run", ["import_run_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_measure_value_period_end"), ["period_end"])
        batch_op.create_index(batch_op.f("ix_measure_value_year"), ["year"])
