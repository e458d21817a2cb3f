"""Queries over an org unit tree (the goals service's own table or another service's replica).

Both give ids only, by recursive CTE, so they work the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar


async def lineage(session: AsyncSession, model: Any, unit_id: str) -> list[str]:
    """The unit's id followed by its ancestors' ids, nearest first (empty if unknown).

    This is what :meth:`Principal.covers` takes for an org-scope check.
    """
    tree = (
        select(model.id, model.parent_id, literal(0).label("depth"))
        .where(model.id == unit_id)
        .cte("lineage", recursive=True)
    )
    parent = aliased(model)
    tree = tree.union_all(
        select(parent.id, parent.parent_id, (tree.c.depth + 1).label("depth")).where(
            parent.id == tree.c.parent_id
        )
    )
    rows = await session.exec(select(tree.c.id).order_by(tree.c.depth))
    return [str(row) for row in rows]


def subtree(model: Any, unit_id: str) -> SelectOfScalar[Any]:
    """A select of the unit's id and the ids of every unit below it, to use as a subquery
    (``column.in_(subtree(...))``) instead of binding thousands of ids."""
    tree = select(model.id).where(model.id == unit_id).cte("subtree", recursive=True)
    child = aliased(model)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


async def descendants(session: AsyncSession, model: Any, unit_id: str) -> list[str]:
    """The unit's id and the ids of every unit below it (empty if unknown)."""
    rows = await session.exec(subtree(model, unit_id))
    return [str(row) for row in rows]
