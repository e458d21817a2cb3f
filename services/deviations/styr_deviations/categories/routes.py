"""HTTP layer for the category lists: the national default list and each municipality's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.categories import service
from styr_deviations.categories.schemas import CategoryIn, CategoryRead
from styr_deviations.config import CaseKind
from styr_deviations.municipalities import MunicipalityId
from styr_shared.auth import authenticated
from styr_shared.db import get_session

router = APIRouter(tags=["categories"])
Session = Annotated[AsyncSession, Depends(get_session)]
Year = Annotated[int, Query(ge=1990, le=2100)]
CategoryCode = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$",
        max_length=60,
        description="The category code, e.g. `fall` or `nattillsyn`.",
    ),
]
ONE = "/municipalities/{municipality_id}/categories/{code}"


@router.get(
    "/categories",
    response_model=list[CategoryRead],
    summary="The national default category list of a year",
    description="Categories change between years (2022 dropped omvårdnad and added vård, "
    "behandling och provtagning and vårdrelaterade infektioner). This is the national default; "
    "a case is checked against its municipality's list, "
    "`/municipalities/{municipality_id}/categories`, of its event's year.",
    operation_id="listNationalCategories",
)
async def national_categories(
    _: authenticated, year: Year, kind: CaseKind | None = None
) -> list[CategoryRead]:
    return service.national_list(year, kind)


@router.get(
    "/municipalities/{municipality_id}/categories",
    response_model=list[CategoryRead],
    summary="The municipality's categories (of a year)",
    description="The national list of the year less the codes the municipality has retired, "
    "with its labels, plus its own codes valid that year. Without `year`, every code it has "
    "with the years each is valid.",
    operation_id="listMunicipalityCategories",
)
async def municipality_categories(
    municipality_id: MunicipalityId,
    session: Session,
    actor: authenticated,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    kind: CaseKind | None = None,
) -> list[CategoryRead]:
    return await service.list_categories(session, actor, municipality_id, year, kind)


@router.put(
    ONE,
    response_model=CategoryRead,
    summary="Add or change an own category, or relabel or retire a national one",
    description="A national code takes a label of the municipality's own and `valid_to_year` "
    "(retired from the year after; null = as long as the national list has it). Any other code "
    "is the municipality's own: `label` and `group` required, years optional. Needs `admin` "
    "with a scope on the municipality's root; kept in `/settings/history`.",
)
async def put_category(
    municipality_id: MunicipalityId,
    code: CategoryCode,
    body: CategoryIn,
    session: Session,
    actor: authenticated,
) -> CategoryRead:
    return await service.put_category(session, actor, municipality_id, code, body)


@router.delete(
    ONE,
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Take back the municipality's change to a category",
    description="A national code returns to the national list (label and years). An own code "
    "is deleted if no case of the municipality uses it (409 otherwise: retire it with "
    "`valid_to_year`).",
)
async def delete_category(
    municipality_id: MunicipalityId, code: CategoryCode, session: Session, actor: authenticated
) -> Response:
    await service.delete_category(session, actor, municipality_id, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
