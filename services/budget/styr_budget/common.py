"""Helpers every budget domain uses: sessions, roles, org-unit validation and scope checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared import orgtree
from styr_shared.auth import Principal, Role, require_roles
from styr_shared.db import get_session
from styr_shared.errors import ForbiddenError, InvalidFieldError
from styr_shared.orgreplica.models import ReplicaOrgUnit

Session = Annotated[AsyncSession, Depends(get_session)]
Controller = Annotated[Principal, Depends(require_roles(Role.CONTROLLER))]
"""Writes budget, forecasts, measures and investments (within the caller's org scope)."""
LedgerWriter = Annotated[Principal, Depends(require_roles(Role.CONTROLLER, Role.IMPORTER))]
"""Writes ledger outcome: controllers and machine importers."""


async def require_unit(session: AsyncSession, unit_id: str, field: str) -> ReplicaOrgUnit:
    """The replicated org unit, or a 422 naming ``field`` (the replica is the only source)."""
    unit = await session.get(ReplicaOrgUnit, unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {unit_id!r}")
    return unit


async def known_units(session: AsyncSession, unit_ids: Iterable[str]) -> set[str]:
    wanted = set(unit_ids)
    if not wanted:
        return set()
    rows = await session.exec(select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.id).in_(wanted)))
    return set(rows.all())


async def units_closed_in(session: AsyncSession, unit_ids: Iterable[str], year: int) -> set[str]:
    """Those of ``unit_ids`` not valid at any time of ``year`` (closed before or opened after),
    e.g. the administrations merged away at the end of 2022."""
    wanted = set(unit_ids)
    if not wanted:
        return set()
    first, last = date(year, 1, 1), date(year, 12, 31)
    rows = await session.exec(
        select(ReplicaOrgUnit.id).where(
            col(ReplicaOrgUnit.id).in_(wanted),
            (col(ReplicaOrgUnit.valid_to) < first) | (col(ReplicaOrgUnit.valid_from) > last),
        )
    )
    return set(rows.all())


async def check_scope(session: AsyncSession, principal: Principal, unit_id: str) -> None:
    """403 unless the caller's org scope covers the unit (a grant covers its subtree)."""
    if not principal.covers(await orgtree.lineage(session, ReplicaOrgUnit, unit_id)):
        raise ForbiddenError(f"Your org scope does not cover {unit_id!r}.")


async def check_scope_all(session: AsyncSession, principal: Principal, unit_ids: set[str]) -> None:
    for unit_id in sorted(unit_ids):
        await check_scope(session, principal, unit_id)


async def subtree(session: AsyncSession, unit_id: str) -> list[str]:
    return await orgtree.descendants(session, ReplicaOrgUnit, unit_id)
