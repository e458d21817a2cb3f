"""Migration steps for the replica's ``municipality_id`` (used by each replicating service).

Existing rows get the root of their tree: roots name themselves, then each pass gives the
children of the rows already set their parent's value, until no row is left (a pass per level).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

MAX_DEPTH = 50


def fill_municipality_ids(table: str = "org_unit") -> None:
    """Set ``municipality_id`` from the tree, level by level (SQLite and PostgreSQL alike)."""
    units = sa.table(table, sa.column("id"), sa.column("parent_id"), sa.column("municipality_id"))
    parent = units.alias("parent")
    op.execute(units.update().where(units.c.parent_id.is_(None)).values(municipality_id=units.c.id))
    parents_done = sa.select(parent.c.id).where(parent.c.municipality_id.is_not(None))
    parents_root = (
        sa.select(parent.c.municipality_id)
        .where(parent.c.id == units.c.parent_id)
        .scalar_subquery()
    )
    for _ in range(MAX_DEPTH):
        result = op.get_bind().execute(
            units.update()
            .where(units.c.municipality_id.is_(None), units.c.parent_id.in_(parents_done))
            .values(municipality_id=parents_root)
        )
        if not result.rowcount:
            break
    # A unit whose parent the replica never saw keeps its parent as the best guess.
    op.execute(
        units.update()
        .where(units.c.municipality_id.is_(None))
        .values(municipality_id=units.c.parent_id)
    )


def add_municipality_column() -> None:
    with op.batch_alter_table("org_unit") as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.String(length=64), nullable=True))
    fill_municipality_ids()
    with op.batch_alter_table("org_unit") as batch_op:
        batch_op.alter_column("municipality_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_org_unit_municipality_id", ["municipality_id"])


def drop_municipality_column() -> None:
    with op.batch_alter_table("org_unit") as batch_op:
        batch_op.drop_index("ix_org_unit_municipality_id")
        batch_op.drop_column("municipality_id")
