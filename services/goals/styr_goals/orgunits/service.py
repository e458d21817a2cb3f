"""Organisation logic: the tree, its history and the change feed.

Each root is a municipality (the tenant); every unit carries its root as ``municipality_id``
and never leaves it. Codes are unique within a municipality, so a code is always looked up
in one (or reported as ambiguous), never across the deployment. Org writes need an admin
whose scope covers the place written: the parent for a new unit, the unit (and its new
parent) for a change; a new municipality needs an unrestricted admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.orgunits.models import MunicipalityOrgLevel, OrgLevel, OrgUnit, OrgUnitChange
from styr_goals.orgunits.schemas import (
    ChangeKind,
    EffectiveOrgLevelRead,
    LevelSource,
    OrgUnitCreate,
    OrgUnitUpdate,
)
from styr_shared import orgtree
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import (
    ReadScope,
    get_municipality,
    municipalities_in_scope,
    read_scope_of,
    record_change,
    require_settings_reader,
    require_settings_writer,
)
from styr_shared.tenancy import snapshot as setting_snapshot
from styr_shared.types import utcnow

FEED_MAX_LIMIT = 1000
ORG_FEED_LOCK = 4711001  # pg advisory lock key that serialises writers of the change feed


def snapshot(unit: OrgUnit) -> dict[str, Any]:
    """The unit as it is delivered in the change feed."""
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent_id": unit.parent_id,
        "municipality_id": unit.municipality_id,
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "successor_id": unit.successor_id,
        "kolada_id": unit.kolada_id,
    }


async def list_levels(session: AsyncSession) -> Sequence[OrgLevel]:
    return (await session.exec(select(OrgLevel).order_by(col(OrgLevel.rank)))).all()


async def effective_levels(
    session: AsyncSession, municipality_id: str
) -> list[EffectiveOrgLevelRead]:
    """The defaults, overridden (same key) and extended by the municipality's own levels."""
    levels = {
        level.key: EffectiveOrgLevelRead(
            key=level.key, label=level.label, rank=level.rank, source=LevelSource.DEFAULT
        )
        for level in await list_levels(session)
    }
    own = await session.exec(
        select(MunicipalityOrgLevel).where(
            col(MunicipalityOrgLevel.municipality_id) == municipality_id
        )
    )
    for level in own.all():
        levels[level.key] = EffectiveOrgLevelRead(
            key=level.key, label=level.label, rank=level.rank, source=LevelSource.OWN
        )
    return sorted(levels.values(), key=lambda level: (level.rank, level.key))


async def municipality_levels(
    session: AsyncSession, actor: Principal, municipality_id: str
) -> list[EffectiveOrgLevelRead]:
    await require_settings_reader(session, OrgUnit, actor, municipality_id)
    return await effective_levels(session, municipality_id)


async def put_municipality_level(
    session: AsyncSession,
    municipality_id: str,
    key: str,
    label: str,
    rank: int,
    actor: Principal,
) -> EffectiveOrgLevelRead:
    """Add a level of the municipality's own, or relabel/re-rank one (a default's key too)."""
    await get_municipality(session, OrgUnit, municipality_id)
    require_settings_writer(actor, municipality_id)
    level = await session.get(MunicipalityOrgLevel, (municipality_id, key))
    before = setting_snapshot(level)
    if level is None:
        level = MunicipalityOrgLevel(
            municipality_id=municipality_id, key=key, label=label, rank=rank
        )
    else:
        level.label, level.rank = label, rank
    session.add(level)
    await record_change(
        session,
        municipality_id=municipality_id,
        setting="org_level",
        key=key,
        before=before,
        after=setting_snapshot(level),
        actor=actor,
    )
    await session.commit()
    return EffectiveOrgLevelRead(key=key, label=label, rank=rank, source=LevelSource.OWN)


async def delete_municipality_level(
    session: AsyncSession, municipality_id: str, key: str, actor: Principal
) -> None:
    """Remove one of the municipality's own levels (409 while a unit of it uses the key).

    Removing an override of a default (same key) brings the default back; it is refused
    while used all the same, so a unit's level never changes meaning unnoticed.
    """
    await get_municipality(session, OrgUnit, municipality_id)
    require_settings_writer(actor, municipality_id)
    # Unit writes check their level under the same lock: a unit created with this level
    # while it is being removed either lands first (and the removal is 409) or is refused.
    await _serialise_feed(session)
    level = await session.get(MunicipalityOrgLevel, (municipality_id, key))
    if level is None:
        raise NotFoundError(f"Municipality {municipality_id!r} has no own org level {key!r}.")
    used = await session.exec(
        select(func.count())
        .select_from(OrgUnit)
        .where(col(OrgUnit.municipality_id) == municipality_id, col(OrgUnit.level) == key)
    )
    count = used.one()
    if count:
        raise ConflictError(
            f"The org level {key!r} is used by {count} unit(s) of {municipality_id!r}."
        )
    before = setting_snapshot(level)
    await session.delete(level)
    await record_change(
        session,
        municipality_id=municipality_id,
        setting="org_level",
        key=key,
        before=before,
        after=None,
        actor=actor,
    )
    await session.commit()


def require_deployment_admin(actor: Principal, what: str) -> None:
    """Things every municipality of the deployment shares need its operator: an admin without
    an org scope. A municipality's admin must not change what the others see."""
    if not actor.unrestricted:
        raise ForbiddenError(
            f"{what} needs an admin without an org scope: it is shared by every municipality."
        )


async def put_level(
    session: AsyncSession, key: str, label: str, rank: int, actor: Principal
) -> OrgLevel:
    require_deployment_admin(actor, "Changing an org level")
    level = await session.get(OrgLevel, key)
    if level is None:
        level = OrgLevel(key=key, label=label, rank=rank)
    else:
        level.label, level.rank = label, rank
    session.add(level)
    await session.commit()
    return level


async def get_unit(session: AsyncSession, unit_id: str) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFoundError(f"Org unit {unit_id!r} does not exist.")
    return unit


async def find_unit(
    session: AsyncSession,
    id_or_code: str,
    municipalities: Collection[str] | None,
    *,
    field: str = "org_unit",
) -> OrgUnit | None:
    """A unit by id, or by its code within ``municipalities`` (``None``: any).

    A code is unique only within a municipality: one found in several of ``municipalities``
    is an error naming ``field`` (422), never a guess.
    """
    unit = await session.get(OrgUnit, id_or_code)
    if unit is not None:
        return unit
    statement = select(OrgUnit).where(col(OrgUnit.code) == id_or_code)
    if municipalities is not None:
        statement = statement.where(col(OrgUnit.municipality_id).in_(municipalities))
    found = (await session.exec(statement.order_by(col(OrgUnit.municipality_id)))).all()
    if len(found) > 1:
        raise ambiguous_code(field, id_or_code, [u.municipality_id for u in found])
    return found[0] if found else None


def ambiguous_code(field: str, code: str, municipalities: Collection[str]) -> InvalidFieldError:
    names = ", ".join(sorted(municipalities))
    return InvalidFieldError(
        field,
        f"the code {code!r} is used in several municipalities ({names}): name the "
        "municipality or use the unit's id",
    )


async def code_municipalities(
    session: AsyncSession, actor: Principal, requested: str | None, field: str
) -> set[str] | None:
    """Where a code this caller reads by is looked up: the municipality named (checked to
    exist), else those the caller's scope touches. ``None``: every municipality (an
    unrestricted caller, or a reader without an org scope, who reads every unit)."""
    if requested is not None:
        unit = await session.get(OrgUnit, requested)
        if unit is None or unit.parent_id is not None:
            raise InvalidFieldError(field, f"unknown municipality {requested!r}")
        return {requested}
    return await municipalities_in_scope(session, OrgUnit, actor) or None


async def list_units(
    session: AsyncSession,
    page: PageParams,
    actor: Principal,
    *,
    municipality: str | None = None,
    parent_id: str | None = None,
    level: str | None = None,
    code: str | None = None,
    as_of: date | None = None,
    scope: ReadScope,
) -> tuple[list[OrgUnit], str | None]:
    statement = select(OrgUnit).where(scope.clause(OrgUnit.municipality_id))
    if municipality is not None:
        await code_municipalities(session, actor, municipality, "query.municipality")
        statement = statement.where(col(OrgUnit.municipality_id) == municipality)
    if parent_id is not None:
        statement = statement.where(col(OrgUnit.parent_id) == parent_id)
    if level is not None:
        statement = statement.where(col(OrgUnit.level) == level)
    if code is not None:
        statement = statement.where(col(OrgUnit.code) == code)
        if municipality is None:
            statement = await _within_one_municipality(session, actor, statement, code)
    if as_of is not None:
        statement = statement.where(
            col(OrgUnit.valid_from).is_(None) | (col(OrgUnit.valid_from) <= as_of),
            col(OrgUnit.valid_to).is_(None) | (col(OrgUnit.valid_to) >= as_of),
        )
    return await paginate(session, statement, [col(OrgUnit.id)], page)


async def _within_one_municipality(
    session: AsyncSession, actor: Principal, statement: Any, code: str
) -> Any:
    """A code filter without a municipality: the caller's municipalities, and only one of
    them may have the code (else 422 naming ``query.code``)."""
    candidates = await code_municipalities(session, actor, None, "query.municipality")
    holders = select(OrgUnit.municipality_id).where(col(OrgUnit.code) == code).distinct()
    if candidates is not None:
        holders = holders.where(col(OrgUnit.municipality_id).in_(candidates))
        statement = statement.where(col(OrgUnit.municipality_id).in_(candidates))
    found = list((await session.exec(holders)).all())
    if len(found) > 1:
        raise ambiguous_code("query.code", code, found)
    return statement


async def list_municipalities(session: AsyncSession, actor: Principal) -> Sequence[OrgUnit]:
    """The roots the caller reads in: all for a token without an org scope, else those its
    scope touches."""
    scope = await read_scope_of(session, OrgUnit, actor)
    statement = select(OrgUnit).where(
        col(OrgUnit.parent_id).is_(None), scope.clause(OrgUnit.municipality_id)
    )
    return (await session.exec(statement.order_by(col(OrgUnit.id)))).all()


async def municipality_for(session: AsyncSession, actor: Principal, municipality_id: str) -> Any:
    """One municipality (404 unknown; 403 when the caller's scope has no unit in it)."""
    await require_settings_reader(session, OrgUnit, actor, municipality_id)
    return await get_municipality(session, OrgUnit, municipality_id)


async def lineage(session: AsyncSession, unit_id: str) -> list[str]:
    """The unit's id followed by its ancestors' ids, nearest first (for scope checks)."""
    return await orgtree.lineage(session, OrgUnit, unit_id)


async def descendants(session: AsyncSession, unit_id: str) -> list[str]:
    """The unit's id and the ids of every unit below it."""
    return await orgtree.descendants(session, OrgUnit, unit_id)


async def _check_level(session: AsyncSession, level: str, municipality_id: str | None) -> None:
    """``level`` must be one of the municipality's effective levels (``None``: a new
    municipality, which has none of its own yet: the defaults)."""
    if municipality_id is None:
        known = {default.key for default in await list_levels(session)}
    else:
        known = {found.key for found in await effective_levels(session, municipality_id)}
    if level not in known:
        where = "the default levels" if municipality_id is None else repr(municipality_id)
        raise InvalidFieldError("body.level", f"unknown org level {level!r} in {where}")


async def _unit_in(
    session: AsyncSession, unit_id: str, municipality_id: str, field: str
) -> OrgUnit:
    """A referenced unit, which must exist and belong to ``municipality_id``."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {unit_id!r}")
    if unit.municipality_id != municipality_id:
        raise InvalidFieldError(
            field,
            f"{unit_id!r} belongs to municipality {unit.municipality_id!r}; a unit stays in "
            f"its own ({municipality_id!r})",
        )
    return unit


async def _require_org_admin(session: AsyncSession, actor: Principal, unit_id: str) -> None:
    """An admin whose scope covers ``unit_id`` (a grant on a unit covers everything below)."""
    if not actor.is_admin:
        raise ForbiddenError("Changing the organisation needs the admin role.")
    if not actor.covers(await lineage(session, unit_id)):
        raise ForbiddenError(f"Org unit {unit_id!r} is outside your scope.")


async def _code_taken(
    session: AsyncSession, code: str, municipality_id: str, *, root: bool, other_than: str
) -> bool:
    """Whether ``code`` is taken in the municipality, or, for a root, also by another root."""
    taken_by = col(OrgUnit.municipality_id) == municipality_id
    if root:
        taken_by = taken_by | col(OrgUnit.parent_id).is_(None)
    statement = select(col(OrgUnit.id)).where(
        col(OrgUnit.code) == code, col(OrgUnit.id) != other_than, taken_by
    )
    return (await session.exec(statement)).first() is not None


async def _serialise_feed(session: AsyncSession) -> None:
    # The feed is read by position; a change must not commit with a smaller seq after a reader
    # has moved past it. Org changes are rare, so taking one lock per change is cheap.
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(ORG_FEED_LOCK)))


async def _record(
    session: AsyncSession,
    unit: OrgUnit,
    kind: ChangeKind,
    actor: Principal,
    before: dict[str, Any] | None,
    effective_from: date | None,
) -> None:
    session.add(
        OrgUnitChange(
            unit_id=unit.id,
            kind=kind,
            effective_from=effective_from,
            recorded_by=actor.subject,
            before=before,
            after=snapshot(unit),
        )
    )


async def create_unit(session: AsyncSession, data: OrgUnitCreate, actor: Principal) -> OrgUnit:
    await _serialise_feed(session)
    unit_id = data.id or uuid.uuid4().hex
    if data.parent_id is None:
        require_deployment_admin(actor, "Creating a municipality (a unit without a parent)")
        municipality_id = unit_id
    else:
        parent = await session.get(OrgUnit, data.parent_id)
        if parent is None:
            raise InvalidFieldError("body.parent_id", f"unknown org unit {data.parent_id!r}")
        await _require_org_admin(session, actor, parent.id)
        municipality_id = parent.municipality_id
    if await session.get(OrgUnit, unit_id) is not None:
        raise ConflictError(f"Org unit {unit_id!r} already exists.")
    root = data.parent_id is None
    if await _code_taken(session, data.code, municipality_id, root=root, other_than=unit_id):
        where = "another municipality" if root else "another unit of the municipality"
        raise ConflictError(f"The code {data.code!r} is already used by {where}.")
    await _check_level(session, data.level, None if root else municipality_id)
    unit = OrgUnit(id=unit_id, municipality_id=municipality_id, **data.model_dump(exclude={"id"}))
    session.add(unit)
    await session.flush()
    await _record(session, unit, ChangeKind.CREATED, actor, None, data.valid_from)
    await session.commit()
    return unit


def _change_kind(fields: set[str]) -> ChangeKind:
    if "valid_to" in fields or "successor_id" in fields:
        return ChangeKind.CLOSED
    if "parent_id" in fields:
        return ChangeKind.MOVED
    if fields <= {"name", "code"}:
        return ChangeKind.RENAMED
    return ChangeKind.UPDATED


async def update_unit(
    session: AsyncSession, unit_id: str, data: OrgUnitUpdate, actor: Principal
) -> OrgUnit:
    await _serialise_feed(session)
    unit = await get_unit(session, unit_id)
    await _require_org_admin(session, actor, unit_id)
    changes = data.model_dump(exclude_unset=True, exclude={"effective_from"})
    changed = {field for field, value in changes.items() if getattr(unit, field) != value}
    if not changed:
        return unit
    if "code" in changed and (
        data.code is None
        or await _code_taken(
            session,
            data.code,
            unit.municipality_id,
            root=unit.parent_id is None,
            other_than=unit_id,
        )
    ):
        raise InvalidFieldError("body.code", "missing or already used in the municipality")
    if "level" in changed:
        if data.level is None:
            raise InvalidFieldError("body.level", "a unit must keep a level")
        await _check_level(session, data.level, unit.municipality_id)
    if "name" in changed and data.name is None:
        raise InvalidFieldError("body.name", "a unit must keep a name")
    if "parent_id" in changed:
        await _check_move(session, actor, unit, data.parent_id)
    if "successor_id" in changed and data.successor_id is not None:
        await _unit_in(session, data.successor_id, unit.municipality_id, "body.successor_id")
    if unit.valid_from and data.valid_to and data.valid_to < unit.valid_from:
        raise InvalidFieldError("body.valid_to", "must not be before valid_from")
    before = snapshot(unit)
    for field in changed:
        setattr(unit, field, changes[field])
    unit.updated_at = utcnow()
    session.add(unit)
    effective = data.effective_from or (data.valid_to if "valid_to" in changed else None)
    await _record(session, unit, _change_kind(changed), actor, before, effective or utcnow().date())
    await session.commit()
    return unit


async def _check_move(
    session: AsyncSession, actor: Principal, unit: OrgUnit, parent_id: str | None
) -> None:
    """A move stays inside the unit's municipality, under a parent the actor also covers."""
    if unit.parent_id is None:
        raise InvalidFieldError("body.parent_id", "a municipality cannot move under another unit")
    if parent_id is None:
        raise InvalidFieldError(
            "body.parent_id",
            "a unit cannot leave its municipality (a new municipality is created with "
            "POST /org-units without a parent)",
        )
    await _unit_in(session, parent_id, unit.municipality_id, "body.parent_id")
    if parent_id in await descendants(session, unit.id):
        raise InvalidFieldError("body.parent_id", "a unit cannot move under itself")
    await _require_org_admin(session, actor, parent_id)


async def history(session: AsyncSession, unit_id: str) -> Sequence[OrgUnitChange]:
    await get_unit(session, unit_id)
    statement = (
        select(OrgUnitChange)
        .where(col(OrgUnitChange.unit_id) == unit_id)
        .order_by(col(OrgUnitChange.seq))
    )
    return (await session.exec(statement)).all()


async def changes_after(
    session: AsyncSession, after: int, limit: int, scope: ReadScope
) -> tuple[Sequence[OrgUnitChange], bool]:
    statement = (
        select(OrgUnitChange)
        .where(col(OrgUnitChange.seq) > after, scope.unit_clause(OrgUnit, OrgUnitChange.unit_id))
        .order_by(col(OrgUnitChange.seq))
        .limit(limit + 1)
    )
    rows = (await session.exec(statement)).all()
    return rows[:limit], len(rows) > limit
