"""org levels per municipality: municipality_org_level, org_unit.level without a foreign key

``org_level`` stays as the deployment's default levels. ``municipality_org_level`` holds a
municipality's own levels: a default's key relabelled or re-ranked, or a level only it has.
A unit's level may now be such a level, so ``org_unit.level`` no longer references
``org_level`` (the service checks it against the unit's municipality's effective levels).

Downgrading drops the municipalities' own levels and refuses while a unit uses a level that is
not a default: before this revision every level was a default, and making one municipality's
level everyone's is not ours to decide.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVEL_FK = "org_unit_level_fkey"  # PostgreSQL's name for 0001's unnamed key
# SQLite does not name the keys it reflects: the convention names them for the batch rebuild.
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}


def upgrade() -> None:
    op.create_table(
        "municipality_org_level",
        sa.Column("municipality_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("municipality_id", "key"),
    )
    with _sqlite_foreign_keys_off(), _org_unit_batch() as batch_op:
        batch_op.drop_constraint(LEVEL_FK, type_="foreignkey")


def downgrade() -> None:
    _refuse_units_on_own_levels()
    op.drop_table("municipality_org_level")
    with _sqlite_foreign_keys_off(), _org_unit_batch() as batch_op:
        batch_op.create_foreign_key(LEVEL_FK, "org_level", ["level"], ["key"])


@contextmanager
def _org_unit_batch() -> Iterator[object]:
    with op.batch_alter_table("org_unit", naming_convention=NAMING) as batch_op:
        yield batch_op


def _refuse_units_on_own_levels() -> None:
    units = sa.table("org_unit", sa.column("id"), sa.column("level"))
    levels = sa.table("org_level", sa.column("key"))
    rows = op.get_bind().execute(
        sa.select(units.c.level, units.c.id)
        .where(units.c.level.not_in(sa.select(levels.c.key)))
        .order_by(units.c.level, units.c.id)
    )
    found: dict[str, list[str]] = {}
    for level, unit_id in rows:
        found.setdefault(level, []).append(unit_id)
    if found:
        listed = "; ".join(f"{level}: {', '.join(ids)}" for level, ids in found.items())
        raise RuntimeError(
            "Cannot downgrade below revision 0007: these org units use a level that is not a "
            f"default level ({listed}), and before 0007 every level was a default. Add those "
            "levels with PUT /org-levels/{key} or give the units a default level first."
        )


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """As in 0006: other tables reference org_unit, so SQLite's rebuild of it runs with key
    checks off, and every key of the database is checked after it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    _set_sqlite_foreign_keys(bind, enabled=False)
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"Foreign keys broken by the org_unit rebuild: {broken[:5]}")
    finally:
        _set_sqlite_foreign_keys(bind, enabled=True)


def _set_sqlite_foreign_keys(bind: sa.engine.Connection, *, enabled: bool) -> None:
    for _ in range(2):
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
        if bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar()) == enabled:
            return
        bind.exec_driver_sql("COMMIT")
    raise RuntimeError("SQLite's foreign key checks could not be switched")
