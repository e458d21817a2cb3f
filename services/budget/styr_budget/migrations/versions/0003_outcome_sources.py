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

LEGACY_SIE_SOURCE = "sie (before 0003)"  # styr_budget.outcomes.service.LEGACY_SIE_SOURCE
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _widen_source(length_from: int, length_to: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Alembic widens a column on SQLite by rebuilding the table, and dropping the old
        # outcome_import trips outcome.import_id's foreign key (the migration runs in a
        # transaction, where it cannot be turned off). SQLite's own ALTER TABLE (3.35+) adds,
        # drops and renames columns in place.
        op.execute(
            f"ALTER TABLE outcome_import ADD COLUMN source_resized VARCHAR({length_to}) "
            "NOT NULL DEFAULT ''"
        )
        op.execute("UPDATE outcome_import SET source_resized = source")
        op.execute("ALTER TABLE outcome_import DROP COLUMN source")
        op.execute("ALTER TABLE outcome_import RENAME COLUMN source_resized TO source")
        return
    op.alter_column(
        "outcome_import",
        "source",
        existing_type=sqlmodel.sql.sqltypes.AutoString(length=length_from),
        type_=sqlmodel.sql.sqltypes.AutoString(length=length_to),
        existing_nullable=False,
    )


def upgrade() -> None:
    _widen_source(20, 100)
    with op.batch_alter_table("outcome_import", schema=None) as batch_op:
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
    # Earlier imports were named by their format (sie, csv, demo): csv and demo stay their
    # source; earlier SIE imports did not keep the program, so their rows get a source of their
    # own that the next SIE import of those months replaces (as every import did before).
    op.execute("UPDATE outcome_import SET format = source")
    op.execute(
        sa.text("UPDATE outcome_import SET source = :legacy WHERE format = 'sie'").bindparams(
            legacy=LEGACY_SIE_SOURCE
        )
    )
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
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a rebuild of outcome_import would trip
    # outcome.import_id's foreign key
    for column in ("warnings", "vouchers_skipped", "accounts_skipped", "rows_defaulted", "format"):
        op.drop_column("outcome_import", column)
    _widen_source(100, 20)
