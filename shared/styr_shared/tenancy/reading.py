"""What a caller may read: the municipalities its token works in.

A token that names org units works in the municipalities of those units and reads their shared
figures (plans, goals, measures, budgets, outcome, statistics) but nothing of another
municipality; what it may *change* is narrower (its subtrees, see
:meth:`Principal.covers`), and case details narrower still. A token without org units is a
deployment-wide reader (the operator, or a service account such as a statistics export): it
reads every municipality and changes none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, false, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared.auth.dependencies import get_principal
from styr_shared.auth.principal import Principal
from styr_shared.db import get_session
from styr_shared.errors import ForbiddenError


@dataclass(frozen=True)
class ReadScope:
    """The municipalities a request reads in; ``municipalities is None`` means every one."""

    principal: Principal
    municipalities: frozenset[str] | None

    @property
    def everywhere(self) -> bool:
        return self.municipalities is None

    def allows(self, municipality_id: str | None) -> bool:
        return self.municipalities is None or (
            municipality_id is not None and municipality_id in self.municipalities
        )

    def check(self, municipality_id: str | None, what: str) -> None:
        """403 unless ``what`` (e.g. ``"Plan 'p1'"``) belongs to a municipality read here."""
        if not self.allows(municipality_id):
            raise ForbiddenError(
                f"{what} belongs to municipality {municipality_id!r}, where your org scope "
                "has no unit."
            )

    def clause(self, municipality_column: Any) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose ``municipality_column`` is read here."""
        if self.municipalities is None:
            return true()
        if not self.municipalities:
            return false()
        return col(municipality_column).in_(sorted(self.municipalities))

    def unit_clause(self, org_model: Any, unit_column: Any) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose org unit (``unit_column``) is read here."""
        if self.municipalities is None:
            return true()
        units = select(org_model.id).where(self.clause(org_model.municipality_id))
        return col(unit_column).in_(units)


async def readable_municipalities(
    session: AsyncSession, org_model: Any, principal: Principal
) -> frozenset[str] | None:
    """The municipalities of the caller's org units; ``None`` (every one) for a token
    without org units."""
    if principal.unrestricted or not principal.org_units:
        return None
    rows = await session.exec(
        select(org_model.municipality_id).where(col(org_model.id).in_(principal.org_units))
    )
    return frozenset(str(row) for row in rows if row is not None)


async def read_scope_of(session: AsyncSession, org_model: Any, principal: Principal) -> ReadScope:
    return ReadScope(principal, await readable_municipalities(session, org_model, principal))


def read_scope(org_model: Any) -> Callable[..., Awaitable[ReadScope]]:
    """A FastAPI dependency giving the request's :class:`ReadScope` over ``org_model`` (the
    goals service's org table, or another service's org replica)."""

    async def dependency(
        principal: Annotated[Principal, Depends(get_principal)],
        session: Annotated[AsyncSession, Depends(get_session)],
    ) -> ReadScope:
        return await read_scope_of(session, org_model, principal)

    return dependency
