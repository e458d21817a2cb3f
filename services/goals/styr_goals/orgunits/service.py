"""Organisation logic: the tree, its history and the change feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.orgunits.models import OrgLevel, OrgUnit, OrgUnitChange
from styr_goals.orgunits.schemas import ChangeKind, OrgUnitCreate, OrgUnitUpdate
from styr_shared import orgtree
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
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
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "successor_id": unit.successor_id,
        "kolada_id": unit.kolada_id,
    }


async def list_levels(session: AsyncSession) -> Sequence[OrgLevel]:
    return (await session.exec(select(OrgLevel).order_by(col(OrgLevel.rank)))).all()


async def put_level(session: AsyncSession, key: str, label: str, rank: int) -> OrgLevel:
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


async def find_unit(session: AsyncSession, id_or_code: str) -> OrgUnit | None:
    """A unit by id or by its human code."""
    unit = await session.get(OrgUnit, id_or_code)
    if unit is not None:
        return unit
    return (await session.exec(select(OrgUnit).where(col(OrgUnit.code) == id_or_code))).first()


async def list_units(
    session: AsyncSession,
    page: PageParams,
    *,
    parent_id: str | None = None,
    level: str | None = None,
    code: str | None = None,
    as_of: date | None = None,
) -> tuple[list[OrgUnit], str | None]:
    statement = select(OrgUnit)
    if parent_id is not None:
        statement = statement.where(col(OrgUnit.parent_id) == parent_id)
    if level is not None:
        statement = statement.where(col(OrgUnit.level) == level)
    if code is not None:
        statement = statement.where(col(OrgUnit.code) == code)
    if as_of is not None:
        statement = statement.where(
            col(OrgUnit.valid_from).is_(None) | (col(OrgUnit.valid_from) <= as_of),
            col(OrgUnit.valid_to).is_(None) | (col(OrgUnit.valid_to) >= as_of),
        )
    return await paginate(session, statement, [col(OrgUnit.id)], page)


async def lineage(session: AsyncSession, unit_id: str) -> list[str]:
    """The unit's id followed by its ancestors' ids, nearest first (for scope checks)."""
    return await orgtree.lineage(session, OrgUnit, unit_id)


async def descendants(session: AsyncSession, unit_id: str) -> list[str]:
    """The unit's id and the ids of every unit below it."""
    return await orgtree.descendants(session, OrgUnit, unit_id)


async def _check_references(
    session: AsyncSession, *, level: str | None, parent_id: str | None, successor_id: str | None
) -> None:
    if level is not None and await session.get(OrgLevel, level) is None:
        raise InvalidFieldError("body.level", f"unknown org level {level!r}")
    if parent_id is not None and await session.get(OrgUnit, parent_id) is None:
        raise InvalidFieldError("body.parent_id", f"unknown org unit {parent_id!r}")
    if successor_id is not None and await session.get(OrgUnit, successor_id) is None:
        raise InvalidFieldError("body.successor_id", f"unknown org unit {successor_id!r}")


async def _code_taken(session: AsyncSession, code: str, other_than: str | None = None) -> bool:
    statement = select(col(OrgUnit.id)).where(col(OrgUnit.code) == code)
    if other_than is not None:
        statement = statement.where(col(OrgUnit.id) != other_than)
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
    if await session.get(OrgUnit, unit_id) is not None:
        raise ConflictError(f"Org unit {unit_id!r} already exists.")
    if await _code_taken(session, data.code):
        raise ConflictError(f"The code {data.code!r} is already used by another unit.")
    await _check_references(session, level=data.level, parent_id=data.parent_id, successor_id=None)
    unit = OrgUnit(id=unit_id, **data.model_dump(exclude={"id"}))
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
    changes = data.model_dump(exclude_unset=True, exclude={"effective_from"})
    changed = {field for field, value in changes.items() if getattr(unit, field) != value}
    if not changed:
        return unit
    if "code" in changed and (data.code is None or await _code_taken(session, data.code, unit_id)):
        raise InvalidFieldError("body.code", "missing or already used by another unit")
    if "name" in changed and data.name is None:
        raise InvalidFieldError("body.name", "a unit must keep a name")
    await _check_references(
        session,
        level=None,
        parent_id=changes.get("parent_id"),
        successor_id=changes.get("successor_id"),
    )
    moving_under = data.parent_id if "parent_id" in changed else None
    if moving_under is not None and moving_under in await descendants(session, unit_id):
        raise InvalidFieldError("body.parent_id", "a unit cannot move under itself")
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


async def history(session: AsyncSession, unit_id: str) -> Sequence[OrgUnitChange]:
    await get_unit(session, unit_id)
    statement = (
        select(OrgUnitChange)
        .where(col(OrgUnitChange.unit_id) == unit_id)
        .order_by(col(OrgUnitChange.seq))
    )
    return (await session.exec(statement)).all()


async def changes_after(
    session: AsyncSession, after: int, limit: int
) -> tuple[Sequence[OrgUnitChange], bool]:
    statement = (
        select(OrgUnitChange)
        .where(col(OrgUnitChange.seq) > after)
        .order_by(col(OrgUnitChange.seq))
        .limit(limit + 1)
    )
    rows = (await session.exec(statement)).all()
    return rows[:limit], len(rows) > limit
