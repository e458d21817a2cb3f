"""Helpers every budget domain uses: sessions, roles, org-unit validation and scope checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared import orgtree
from styr_shared.auth import Principal, Role, require_roles
from styr_shared.db import get_session
from styr_shared.errors import ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.orgreplica import get_unit, refresh_for
from styr_shared.orgreplica.models import ReplicaOrgUnit
from styr_shared.tenancy import (
    ReadScope,
    read_scope,
    require_settings_reader,
    require_settings_writer,
)

Session = Annotated[AsyncSession, Depends(get_session)]
Controller = Annotated[Principal, Depends(require_roles(Role.CONTROLLER))]
"""Writes budget, forecasts, measures and investments (within the caller's org scope)."""
LedgerWriter = Annotated[Principal, Depends(require_roles(Role.CONTROLLER, Role.IMPORTER))]
"""Writes ledger outcome: controllers and machine importers."""
Reader = Annotated[ReadScope, Depends(read_scope(ReplicaOrgUnit))]
"""Any caller, reading within the municipalities its org scope touches."""

# A request pulls the goals service's org feed at most once: a file naming a thousand unknown
# units must not make a thousand round trips (the flag lives as long as the request's session).
_PULLED = "styr_budget.org_feed_pulled"
SCOPE_LINEAGE_LIMIT = 8  # check_scope_all: up to this many units, a lineage query per unit


async def _unit(session: AsyncSession, unit_id: str) -> ReplicaOrgUnit | None:
    """The replicated unit; a miss pulls the org feed (once per request) before giving up, so a
    unit created in the goals service a moment ago is usable at once."""
    unit = await session.get(ReplicaOrgUnit, unit_id)
    if unit is None and not session.info.get(_PULLED):
        session.info[_PULLED] = True
        unit = await get_unit(session, unit_id)
    return unit


async def require_unit(session: AsyncSession, unit_id: str, field: str) -> ReplicaOrgUnit:
    """The org unit a write names, or a 422 naming ``field``."""
    unit = await _unit(session, unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {unit_id!r}")
    return unit


async def find_unit(session: AsyncSession, unit_id: str, scope: ReadScope) -> ReplicaOrgUnit:
    """The org unit a read is about: 404 when nobody knows it (its figures are not zeros),
    403 when it belongs to a municipality the caller does not read in."""
    unit = await _unit(session, unit_id)
    if unit is None:
        raise NotFoundError(f"Org unit {unit_id!r} does not exist.")
    scope.check(unit.municipality_id, f"Org unit {unit_id!r}")
    return unit


async def require_unit_in(
    session: AsyncSession, unit_id: str, municipality_id: str, field: str
) -> ReplicaOrgUnit:
    """The org unit a write names, which must belong to ``municipality_id`` (else 422)."""
    unit = await require_unit(session, unit_id, field)
    if unit.municipality_id != municipality_id:
        raise InvalidFieldError(
            field,
            f"org unit {unit_id!r} belongs to municipality {unit.municipality_id!r}, "
            f"not {municipality_id!r}",
        )
    return unit


async def unit_municipalities(session: AsyncSession, unit_ids: Iterable[str]) -> dict[str, str]:
    """The known ones of ``unit_ids`` with their municipality; any miss pulls the org feed
    once for the whole batch (and at most once per request), then the rest are unknown."""
    wanted = set(unit_ids)
    if not wanted:
        return {}
    found = await _municipalities(session, wanted)
    if len(found) < len(wanted) and not session.info.get(_PULLED):
        session.info[_PULLED] = True
        if await refresh_for(session):
            found = await _municipalities(session, wanted)
    return found


async def _municipalities(session: AsyncSession, wanted: set[str]) -> dict[str, str]:
    rows = await session.exec(
        select(ReplicaOrgUnit.id, ReplicaOrgUnit.municipality_id).where(
            col(ReplicaOrgUnit.id).in_(wanted)
        )
    )
    return {str(unit_id): str(municipality) for unit_id, municipality in rows.all()}


async def known_units(session: AsyncSession, unit_ids: Iterable[str]) -> set[str]:
    return set(await unit_municipalities(session, unit_ids))


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
    """403 naming the first unit (by id) the caller's scope does not cover. Many units are
    checked against the subtrees of the caller's grants (one query per grant) instead of one
    lineage query per unit: a ledger file books on thousands."""
    if principal.unrestricted:
        return
    if len(unit_ids) <= SCOPE_LINEAGE_LIMIT:
        for unit_id in sorted(unit_ids):
            await check_scope(session, principal, unit_id)
        return
    covered: set[str] = set()
    for granted in sorted(principal.org_units):
        covered.update(await subtree(session, granted))
    for unit_id in sorted(unit_ids):
        if unit_id not in covered:
            raise ForbiddenError(f"Your org scope does not cover {unit_id!r}.")


async def subtree(session: AsyncSession, unit_id: str) -> list[str]:
    return await orgtree.descendants(session, ReplicaOrgUnit, unit_id)


async def subtree_units(session: AsyncSession, unit_id: str) -> dict[str, ReplicaOrgUnit]:
    """The unit and every unit below it, by id, in one query (a recursive CTE that carries
    the rows, not only the ids as :func:`subtree`)."""
    tree = select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.id) == unit_id)
    cte = tree.cte("subtree_units", recursive=True)
    child = aliased(ReplicaOrgUnit)
    cte = cte.union_all(select(child.id).where(col(child.parent_id) == cte.c.id))
    rows = await session.exec(
        select(ReplicaOrgUnit).where(col(ReplicaOrgUnit.id).in_(select(cte.c.id)))
    )
    return {row.id: row for row in rows.all()}


async def require_municipality(session: AsyncSession, municipality_id: str) -> None:
    """404 unless ``municipality_id`` is a root of the org tree (pulling the feed on a miss)."""
    unit = await _unit(session, municipality_id)
    if unit is None or unit.parent_id is not None:
        raise NotFoundError(f"Municipality {municipality_id!r} does not exist.")


async def settings_reader(
    session: AsyncSession, principal: Principal, municipality_id: str
) -> None:
    """Anyone whose scope has a unit in the municipality reads its settings (404 unknown)."""
    await require_municipality(session, municipality_id)
    await require_settings_reader(session, ReplicaOrgUnit, principal, municipality_id)


async def settings_writer(
    session: AsyncSession, principal: Principal, municipality_id: str
) -> None:
    """Budget settings are written by an admin or a controller whose scope covers the
    municipality's root: a grant on one unit does not change what every unit shares."""
    require_settings_writer(principal, municipality_id, [Role.CONTROLLER])
    await require_municipality(session, municipality_id)
