"""HTTP layer for municipalities, organisation units, levels and the change feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.access import Reader, ReadsUnit
from styr_goals.orgunits import service
from styr_goals.orgunits.schemas import (
    ChangeFeed,
    EffectiveOrgLevelRead,
    MunicipalityRead,
    OrgLevelRead,
    OrgLevelWrite,
    OrgUnitChangeRead,
    OrgUnitCreate,
    OrgUnitRead,
    OrgUnitUpdate,
)
from styr_shared.auth import Principal, Role, authenticated, require_roles
from styr_shared.db import get_session
from styr_shared.errors import InvalidFieldError
from styr_shared.pagination import Page, PageParams, page_params
from styr_shared.schemas import QueryDate

router = APIRouter(tags=["organisation"])
Session = Annotated[AsyncSession, Depends(get_session)]
OrgAdmin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


LevelKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
MunicipalityId = Annotated[str, Path(max_length=64)]


@router.get(
    "/org-levels",
    response_model=list[OrgLevelRead],
    summary="The default org levels",
    description="The levels every municipality starts from; a municipality's effective list "
    "is `GET /municipalities/{municipality_id}/org-levels`.",
    operation_id="listOrgLevels",
)
async def list_levels(session: Session, _: authenticated) -> list[OrgLevelRead]:
    return [OrgLevelRead.model_validate(level) for level in await service.list_levels(session)]


@router.put(
    "/org-levels/{key}",
    response_model=OrgLevelRead,
    summary="Create or rename a default level",
    description="The defaults are shared by every municipality of the deployment, so only an "
    "admin without an org scope (the deployment's operator) writes them.",
    operation_id="putOrgLevel",
)
async def put_level(
    key: LevelKey,
    body: OrgLevelWrite,
    session: Session,
    actor: OrgAdmin,
) -> OrgLevelRead:
    level = await service.put_level(session, key, body.label, body.rank, actor)
    return OrgLevelRead.model_validate(level)


@router.get(
    "/municipalities",
    response_model=list[MunicipalityRead],
    tags=["municipalities"],
    summary="The municipalities (roots of the org trees) you work in",
    description="A token without an org scope (the operator, a deployment-wide reader) sees "
    "every municipality of the deployment; anyone else those their org scope has a unit in.",
)
async def list_municipalities(session: Session, actor: authenticated) -> list[MunicipalityRead]:
    roots = await service.list_municipalities(session, actor)
    return [MunicipalityRead.model_validate(root) for root in roots]


@router.get(
    "/municipalities/{municipality_id}",
    response_model=MunicipalityRead,
    tags=["municipalities"],
    summary="One municipality",
    description="404 for an unknown municipality (or a unit that is not a root); 403 when "
    "your org scope has no unit in it.",
)
async def get_municipality(
    municipality_id: Annotated[str, Path(max_length=64)], session: Session, actor: authenticated
) -> MunicipalityRead:
    root = await service.municipality_for(session, actor, municipality_id)
    return MunicipalityRead.model_validate(root)


@router.get(
    "/municipalities/{municipality_id}/org-levels",
    response_model=list[EffectiveOrgLevelRead],
    tags=["municipalities"],
    summary="A municipality's effective org levels",
    description="The default levels, overridden (same key) and extended by the municipality's "
    "own, ordered by rank; `source` says which. Anyone whose scope has a unit in the "
    "municipality reads them (403 otherwise, 404 for an unknown municipality).",
    operation_id="listMunicipalityOrgLevels",
)
async def list_municipality_levels(
    municipality_id: MunicipalityId, session: Session, actor: authenticated
) -> list[EffectiveOrgLevelRead]:
    return await service.municipality_levels(session, actor, municipality_id)


@router.put(
    "/municipalities/{municipality_id}/org-levels/{key}",
    response_model=EffectiveOrgLevelRead,
    tags=["municipalities"],
    summary="Add or relabel one of a municipality's org levels",
    description="Needs an admin whose scope covers the municipality's root. A default's key "
    "gets the municipality's own label and rank; a new key adds a level. Recorded in the "
    "municipality's settings history (`org_level`).",
    operation_id="putMunicipalityOrgLevel",
)
async def put_municipality_level(
    municipality_id: MunicipalityId,
    key: LevelKey,
    body: OrgLevelWrite,
    session: Session,
    actor: authenticated,
) -> EffectiveOrgLevelRead:
    return await service.put_municipality_level(
        session, municipality_id, key, body.label, body.rank, actor
    )


@router.delete(
    "/municipalities/{municipality_id}/org-levels/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["municipalities"],
    summary="Remove one of a municipality's own org levels",
    description="Needs an admin whose scope covers the municipality's root. 404 when the "
    "municipality has no own level `key`; 409 while a unit of the municipality uses it "
    "(also for an override of a default, whose label would change under the unit).",
    operation_id="deleteMunicipalityOrgLevel",
)
async def delete_municipality_level(
    municipality_id: MunicipalityId, key: LevelKey, session: Session, actor: authenticated
) -> None:
    await service.delete_municipality_level(session, municipality_id, key, actor)


@router.get(
    "/org-units/changes",
    response_model=ChangeFeed,
    summary="Ordered org change feed",
    description=(
        "Every create, rename, move and closure of an org unit, in the order it was recorded. "
        "Poll with `after` set to the `cursor` of the previous answer (start with `0`); each "
        "item carries the unit's full state after the change, so a replica applies items in "
        "order and stores the cursor in the same transaction. Positions never change and "
        "no change becomes visible behind a position already delivered."
    ),
    operation_id="listOrgUnitChanges",
)
async def change_feed(
    session: Session,
    scope: Reader,
    after: Annotated[str, Query(description="Cursor from the previous poll; `0` = start.")] = "0",
    limit: Annotated[int, Query(ge=1, le=service.FEED_MAX_LIMIT)] = 500,
) -> ChangeFeed:
    if not after.isdigit():
        raise InvalidFieldError("query.after", "must be a cursor returned by this feed")
    position = int(after)
    items, has_more = await service.changes_after(session, position, limit, scope)
    cursor = str(items[-1].seq) if items else str(position)
    return ChangeFeed(
        items=[OrgUnitChangeRead.model_validate(item) for item in items],
        cursor=cursor,
        has_more=has_more,
    )


@router.get(
    "/org-units",
    response_model=Page[OrgUnitRead],
    summary="List org units",
    operation_id="listOrgUnits",
)
async def list_units(
    session: Session,
    actor: authenticated,
    scope: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    municipality: Annotated[
        str | None,
        Query(max_length=64, description="Only units of this municipality (its root's id)."),
    ] = None,
    parent_id: str | None = None,
    level: str | None = None,
    code: Annotated[
        str | None,
        Query(
            description="Only the unit with this code. Codes are unique within a municipality: "
            "without `municipality` the code is looked up in the municipalities your org "
            "scope touches (all of them for an admin without a scope or a reader without "
            "one), and a code found in more than one of them is 422."
        ),
    ] = None,
    as_of: Annotated[QueryDate | None, Query(description="Only units valid on this date.")] = None,
) -> Page[OrgUnitRead]:
    units, next_cursor = await service.list_units(
        session,
        page,
        actor,
        municipality=municipality,
        parent_id=parent_id,
        level=level,
        code=code,
        as_of=as_of,
        scope=scope,
    )
    return Page(items=[OrgUnitRead.model_validate(u) for u in units], next_cursor=next_cursor)


@router.post(
    "/org-units",
    response_model=OrgUnitRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an org unit",
    description="Needs an admin whose org scope covers the parent; a unit without a parent is "
    "a new municipality and needs an admin without an org scope. The code must be unique in "
    "the municipality (a municipality's code among municipalities): else 409.",
    operation_id="createOrgUnit",
)
async def create_unit(body: OrgUnitCreate, session: Session, actor: OrgAdmin) -> OrgUnitRead:
    return OrgUnitRead.model_validate(await service.create_unit(session, body, actor))


@router.get(
    "/org-units/{unit_id}",
    response_model=OrgUnitRead,
    summary="One org unit",
    operation_id="getOrgUnit",
)
async def get_unit(unit_id: str, session: Session, _: ReadsUnit) -> OrgUnitRead:
    return OrgUnitRead.model_validate(await service.get_unit(session, unit_id))


@router.patch(
    "/org-units/{unit_id}",
    response_model=OrgUnitRead,
    summary="Rename, move, close or correct an org unit",
    description="Needs an admin whose org scope covers the unit (and, for a move, the new "
    "parent). A unit stays in its municipality: a parent or successor in another is 422.",
    operation_id="updateOrgUnit",
)
async def update_unit(
    unit_id: str, body: OrgUnitUpdate, session: Session, actor: OrgAdmin
) -> OrgUnitRead:
    return OrgUnitRead.model_validate(await service.update_unit(session, unit_id, body, actor))


@router.get(
    "/org-units/{unit_id}/history",
    response_model=list[OrgUnitChangeRead],
    summary="Every recorded change of one unit",
    operation_id="getOrgUnitHistory",
)
async def unit_history(unit_id: str, session: Session, _: ReadsUnit) -> list[OrgUnitChangeRead]:
    return [OrgUnitChangeRead.model_validate(c) for c in await service.history(session, unit_id)]


@router.get(
    "/org-units/{unit_id}/subtree",
    response_model=list[str],
    summary="Ids of the unit and every unit below it",
    operation_id="getOrgUnitSubtree",
)
async def unit_subtree(unit_id: str, session: Session, _: ReadsUnit) -> list[str]:
    await service.get_unit(session, unit_id)
    return await service.descendants(session, unit_id)
