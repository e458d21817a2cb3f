"""The municipality a settings request names: it must exist, and the caller may read or write
it (``styr_shared.tenancy``), over this service's org replica."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared.auth import Principal
from styr_shared.errors import NotFoundError
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.tenancy import require_settings_reader, require_settings_writer

MunicipalityId = Annotated[
    str,
    Path(
        max_length=64,
        description="The municipality: the id of its root org unit (e.g. `oxelosund`).",
    ),
]


async def municipality_root(session: AsyncSession, municipality_id: str) -> ReplicaOrgUnit:
    """The municipality's root unit; one the replica has not seen yet pulls the org feed."""
    unit = await get_unit(session, municipality_id)
    if unit is None or unit.parent_id is not None:
        raise NotFoundError(f"Municipality {municipality_id!r} does not exist.")
    return unit


async def require_reader(session: AsyncSession, principal: Principal, municipality_id: str) -> None:
    await municipality_root(session, municipality_id)
    await require_settings_reader(session, ReplicaOrgUnit, principal, municipality_id)


async def require_writer(session: AsyncSession, principal: Principal, municipality_id: str) -> None:
    """Admin with a scope covering the municipality's root (403 first: a caller who may not
    write learns nothing about which municipalities exist)."""
    require_settings_writer(principal, municipality_id)
    await municipality_root(session, municipality_id)
