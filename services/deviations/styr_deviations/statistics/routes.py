"""HTTP layer for statistics (every role; small counts suppressed without case access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.config import CaseKind, DateBasis, LawArea
from styr_deviations.statistics import service
from styr_deviations.statistics.schemas import Statistics
from styr_shared.auth import authenticated
from styr_shared.db import get_session

router = APIRouter(tags=["statistics"])
Session = Annotated[AsyncSession, Depends(get_session)]
Year = Annotated[int | None, Query(ge=1990, le=2100)]


@router.get(
    "/statistics",
    response_model=Statistics,
    summary="Counts by year, category × month, org unit, kind, law area; breakdowns by month, "
    "category, state, channel, external direction and investigation outcome; times; overdue",
    description="Limited to your org scope (the deployment's operator: everything). Without a "
    "case-handling role counts from 1 to the threshold − 1 are shown as `<threshold`; the "
    "threshold is the municipality's (its case settings; default `<5`), for an answer over "
    "several municipalities the highest of theirs. A unit this service does not know is 404.",
)
async def get_statistics(
    session: Session,
    actor: authenticated,
    from_year: Year = None,
    to_year: Year = None,
    org_unit_id: Annotated[
        str | None, Query(max_length=64, description="The unit and its subtree.")
    ] = None,
    municipality: Annotated[
        str | None, Query(max_length=64, description="Only this municipality's cases.")
    ] = None,
    kind: CaseKind | None = None,
    law_area: LawArea | None = None,
    date_basis: Annotated[
        DateBasis,
        Query(
            description="What puts a case in a year and month: `registration` (reported_at) "
            "or `event` (event_time, else reported_at)."
        ),
    ] = DateBasis.REGISTRATION,
) -> Statistics:
    return await service.compute(
        session,
        actor,
        from_year=from_year,
        to_year=to_year,
        org_unit_id=org_unit_id,
        municipality=municipality,
        kind=kind,
        law_area=law_area,
        date_basis=date_basis,
    )
