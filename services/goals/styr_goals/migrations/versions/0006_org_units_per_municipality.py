"""org units per municipality: municipality_id, codes unique within one, settings history

Each org unit carries the root of its tree (``municipality_id``; a root names itself), filled
from the tree for the units already stored. Codes become unique per municipality
(``uq_org_unit_municipality_code``) instead of across the deployment, so a second
municipality may have its own ``VON``. ``setting_change`` keeps the history of each
municipality's settings (here: the steering configuration). ``import_run.municipality_id``
records which municipality a run wrote to (runs recorded before: the deployment's only
municipality, if it has one).

Downgrading refuses while a code is used in more than one municipality: before this
revision a code was unique in the whole deployment, and which unit keeps it is not ours to
guess.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.engine import Connection

from styr_shared.orgreplica.migration import fill_municipality_ids
from styr_shared.tenancy.migration import create_setting_change_table, drop_setting_change_table

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MUNICIPALITY_ID = sqlmodel.sql.sqltypes.AutoString(length=64)


def upgrade() -> None:
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table("org_unit", schema=None) as batch_op:
            batch_op.add_column(sa.Column("municipality_id", MUNICIPALITY_ID, nullable=True))
        fill_municipality_ids("org_unit")
        with op.batch_alter_table("org_unit", schema=None) as batch_op:
            batch_op.alter_column("municipality_id", existing_type=MUNICIPALITY_ID, nullable=False)
            batch_op.drop_index(batch_op.f("ix_org_unit_code"))
            batch_op.create_index(batch_op.f("ix_org_unit_code"), ["code"], unique=False)
            batch_op.create_unique_constraint(
                "uq_org_unit_municipality_code", ["municipality_id", "code"]
            )
            batch_op.create_foreign_key(
                "fk_org_unit_municipality", "org_unit", ["municipality_id"], ["id"]
            )
    create_setting_change_table()
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", MUNICIPALITY_ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_import_run_municipality_id"), ["municipality_id"])
    _runs_wrote_to_the_only_municipality()


def downgrade() -> None:
    _refuse_codes_used_in_several_municipalities()
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_municipality_id"))
        batch_op.drop_column("municipality_id")
    drop_setting_change_table()
    with _sqlite_foreign_keys_off(), op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_constraint("fk_org_unit_municipality", type_="foreignkey")
        batch_op.drop_constraint("uq_org_unit_municipality_code", type_="unique")
        batch_op.drop_index(batch_op.f("ix_org_unit_code"))
        batch_op.create_index(batch_op.f("ix_org_unit_code"), ["code"], unique=True)
        batch_op.drop_column("municipality_id")


def _runs_wrote_to_the_only_municipality() -> None:
    """Runs recorded before wrote to the deployment's one municipality, if it has one."""
    units = sa.table("org_unit", sa.column("id"), sa.column("parent_id"))
    roots = op.get_bind().execute(sa.select(units.c.id).where(units.c.parent_id.is_(None)))
    found = [root for (root,) in roots]
    if len(found) == 1:
        runs = sa.table("import_run", sa.column("municipality_id"))
        op.execute(runs.update().values(municipality_id=found[0]))


def _refuse_codes_used_in_several_municipalities() -> None:
    units = sa.table("org_unit", sa.column("code"), sa.column("municipality_id"))
    shared = op.get_bind().execute(
        sa.select(units.c.code, units.c.municipality_id)
        .where(
            units.c.code.in_(
                sa.select(units.c.code).group_by(units.c.code).having(sa.func.count() > 1)
            )
        )
        .order_by(units.c.code, units.c.municipality_id)
    )
    holders: dict[str, list[str]] = {}
    for code, municipality in shared:
        holders.setdefault(code, []).append(municipality)
    if holders:
        listed = "; ".join(f"{code}: {', '.join(ms)}" for code, ms in holders.items())
        raise RuntimeError(
            "Cannot downgrade below revision 0006: these org unit codes are used by more than "
            f"one unit ({listed}), and before 0006 a code was unique in the whole deployment. "
            "Give those units codes of their own first."
        )


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite changes a column by rebuilding the table, and other tables reference org_unit:
    with foreign keys enforced, dropping the old copy fails (as Alembic's batch mode notes).
    Checking is off for the rebuild, and every key of the database is checked after it."""
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


def _set_sqlite_foreign_keys(bind: Connection, *, enabled: bool) -> None:
    for _ in range(2):
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
        if bool(bind.exec_driver_sql("PRAGMA foreign_keys").scalar()) == enabled:
            return
        # The pragma does nothing inside a transaction: end the one the earlier steps opened
        # (SQLite's DDL is not transactional under Alembic anyway).
        bind.exec_driver_sql("COMMIT")
    raise RuntimeError("SQLite's foreign key checks could not be switched")
