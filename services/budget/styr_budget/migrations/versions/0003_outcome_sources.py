"""outcome sources: rows and imports name their source; import counts and warnings

Revision ID: 0003_outcome_sources
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0003_outcome_sources"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("outcome_import", schema=None) as batch_op:
        batch_op.alter_column(
            "source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
            type_=sqlmodel.sql.sqltypes.AutoString(length=100),
            existing_nullable=False,
        )
        batch_op.add_column(
            sa.Column(
                "format",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="sie",
            )
        )
        batch_op.add_column(
            sa.Column("rows_defaulted", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("accounts_skipped", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("vouchers_skipped", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("warnings", JSON, nullable=False, server_default="[]"))
    # Earlier imports were named by their format (sie, csv, demo): that stays their source.
    op.execute("UPDATE outcome_import SET format = source")
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="sie",
            )
        )
    op.execute(
        "UPDATE outcome SET source = (SELECT outcome_import.source FROM outcome_import"
        " WHERE outcome_import.id = outcome.import_id)"
    )


def downgrade() -> None:
    op.execute("UPDATE outcome_import SET source = format")
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("outcome_import", schema=None) as batch_op:
        batch_op.drop_column("warnings")
        batch_op.drop_column("vouchers_skipped")
        batch_op.drop_column("accounts_skipped")
        batch_op.drop_column("rows_defaulted")
        batch_op.drop_column("format")
        batch_op.alter_column(
            "source",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=100),
            type_=sqlmodel.sql.sqltypes.AutoString(length=20),
            existing_nullable=False,
        )
