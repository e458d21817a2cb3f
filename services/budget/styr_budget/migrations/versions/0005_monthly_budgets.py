"""monthly budgets: periodisation keys, months on budget lines

Revision ID: 0005_monthly_budgets
Revises: 0004
Create Date: 2026-12-03 10:00:00

Existing budget lines get linear months (largest remainder, whole kronor when the amount is
whole kronor, else öre), as the service would have spread them.
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0005_monthly_budgets"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS = [f"m{month:02d}" for month in range(1, 13)]


def upgrade() -> None:
    op.create_table(
        "periodisation_key",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "weights",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("account_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("periodisation", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    with op.batch_alter_table("budget_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("from_month", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("budget_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("periodisation", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("fixed_months", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("ytd_through", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ytd_amount", sa.Numeric(precision=18, scale=2), nullable=True)
        )
        for name in MONTHS:
            batch_op.add_column(
                sa.Column(
                    name, sa.Numeric(precision=18, scale=2), nullable=False, server_default="0"
                )
            )
    _spread_existing_lines()


def _spread_existing_lines() -> None:
    # A frozen copy of the linear spread (the migration must not change with the service).
    connection = op.get_bind()
    entry = sa.table(
        "budget_entry",
        sa.column("id", sa.Integer()),
        sa.column("amount", sa.Numeric(18, 2)),
        *(sa.column(name, sa.Numeric(18, 2)) for name in MONTHS),
    )
    rows = connection.execute(sa.select(entry.c.id, entry.c.amount)).all()
    changes = []
    for entry_id, amount in rows:
        amount = Decimal(amount).quantize(Decimal("0.01"))
        unit = Decimal(1) if amount == amount.to_integral_value() else Decimal("0.01")
        units = int(abs(amount) / unit)
        base, left = divmod(units, 12)
        sign = -1 if amount < 0 else 1
        months = [sign * (base + (1 if index < left else 0)) * unit for index in range(12)]
        changes.append({"entry_id": entry_id, **dict(zip(MONTHS, months, strict=True))})
    if changes:
        connection.execute(
            entry.update()
            .where(entry.c.id == sa.bindparam("entry_id"))
            .values({name: sa.bindparam(name) for name in MONTHS}),
            changes,
        )


def downgrade() -> None:
    with op.batch_alter_table("budget_entry", schema=None) as batch_op:
        for name in reversed(MONTHS):
            batch_op.drop_column(name)
        batch_op.drop_column("ytd_amount")
        batch_op.drop_column("ytd_through")
        batch_op.drop_column("fixed_months")
        batch_op.drop_column("periodisation")
    with op.batch_alter_table("budget_version", schema=None) as batch_op:
        batch_op.drop_column("from_month")
    with op.batch_alter_table("account_group", schema=None) as batch_op:
        batch_op.drop_column("periodisation")
    op.drop_table("periodisation_key")
