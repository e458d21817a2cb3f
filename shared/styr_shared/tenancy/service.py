"""Who may read and write a municipality's settings, and the record of every write."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_shared.auth.principal import Principal, Role
from styr_shared.errors import ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy.models import SettingChange
from styr_shared.tenancy.reading import read_scope_of


@dataclass(frozen=True)
class Municipality:
    """A municipality: the root of an org tree (``id`` is the root unit's id)."""

    id: str
    code: str
    name: str


async def get_municipality(session: AsyncSession, org_model: Any, municipality_id: str) -> Any:
    """The root unit named ``municipality_id`` from ``org_model`` (the org table or replica)."""
    unit = await session.get(org_model, municipality_id)
    if unit is None or unit.parent_id is not None:
        raise NotFoundError(f"Municipality {municipality_id!r} does not exist.")
    return unit


async def municipalities_in_scope(
    session: AsyncSession, org_model: Any, principal: Principal
) -> set[str] | None:
    """The municipalities whose units the caller's scope touches; ``None`` means all."""
    if principal.unrestricted:
        return None
    if not principal.org_units:
        return set()
    rows = await session.exec(
        select(org_model.municipality_id).where(col(org_model.id).in_(principal.org_units))
    )
    return {str(row) for row in rows}


async def resolve_municipality(
    session: AsyncSession,
    org_model: Any,
    principal: Principal,
    requested: str | None,
    field: str = "query.municipality",
) -> str:
    """The municipality a request acts in: the one it names, else the only one it can mean.

    Without a name, a caller whose scope lies in one municipality acts in it, and in a
    deployment with one municipality everyone does; otherwise the caller must say which
    (a 422 naming ``field``), rather than have a guess write into the wrong municipality.
    """
    touched = await municipalities_in_scope(session, org_model, principal)
    if requested is not None:
        unit = await session.get(org_model, requested)
        if unit is None or unit.parent_id is not None:
            raise InvalidFieldError(field, f"unknown municipality {requested!r}")
        if touched is not None and requested not in touched:
            raise ForbiddenError(f"Your org scope has no unit in municipality {requested!r}.")
        return requested
    if touched is None:
        roots = await session.exec(select(org_model.id).where(col(org_model.parent_id).is_(None)))
        touched = {str(root) for root in roots}
    if len(touched) == 1:
        return next(iter(touched))
    if not touched:
        raise InvalidFieldError(field, "no municipality is known yet")
    names = ", ".join(sorted(touched))
    raise InvalidFieldError(field, f"name the municipality (one of: {names})")


async def require_settings_reader(
    session: AsyncSession, org_model: Any, principal: Principal, municipality_id: str
) -> None:
    """Whoever reads in the municipality reads its settings (see :mod:`.reading`)."""
    await get_municipality(session, org_model, municipality_id)
    scope = await read_scope_of(session, org_model, principal)
    if not scope.allows(municipality_id):
        raise ForbiddenError(f"Your org scope has no unit in municipality {municipality_id!r}.")


def require_settings_writer(
    principal: Principal, municipality_id: str, roles: Iterable[Role] = ()
) -> None:
    """A settings write needs ``admin`` (or one of ``roles``) on the municipality's root.

    A grant on one unit is not enough: the settings are shared by every unit of the
    municipality, so only a scope over all of them may change them.
    """
    if not principal.has_any_role(Role.ADMIN, *roles):
        wanted = ", ".join(sorted({Role.ADMIN, *roles}))
        raise ForbiddenError(f"Changing a municipality's settings needs one of: {wanted}.")
    if not principal.covers([municipality_id]):
        raise ForbiddenError(
            f"Changing the settings of {municipality_id!r} needs a scope on the municipality "
            "itself, not on one of its units."
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(row: SQLModel | BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON-ready data for the history (``None`` stays ``None``)."""
    if row is None:
        return None
    data = row if isinstance(row, dict) else row.model_dump()
    return {k: _plain(v) for k, v in data.items() if k != "municipality_id"}


async def record_change(
    session: AsyncSession,
    *,
    municipality_id: str,
    setting: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: Principal,
) -> None:
    """Add one history row to the caller's transaction (no-op when nothing changed)."""
    if before == after:
        return
    action = "created" if before is None else "deleted" if after is None else "updated"
    session.add(
        SettingChange(
            municipality_id=municipality_id,
            setting=setting,
            key=key,
            action=action,
            before=before,
            after=after,
            changed_by=actor.subject,
        )
    )


async def history(
    session: AsyncSession, municipality_id: str, setting: str | None, page: PageParams
) -> tuple[Sequence[SettingChange], str | None]:
    statement = select(SettingChange).where(col(SettingChange.municipality_id) == municipality_id)
    if setting is not None:
        statement = statement.where(col(SettingChange.setting) == setting)
    return await paginate(session, statement, [col(SettingChange.id)], page)
