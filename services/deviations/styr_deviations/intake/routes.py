"""``POST /public/{municipality_id}/feedback``: no login, strict validation, rate limited per
municipality and client IP. ``POST /public/feedback`` serves a deployment of one municipality."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import service as cases
from styr_deviations.cases.schemas import CaseCreate
from styr_deviations.casesettings import service as casesettings
from styr_deviations.config import LOCAL_TIME, CaseKind, Channel, ReporterType, local_date
from styr_deviations.context import Context, Ctx
from styr_deviations.intake.ratelimit import PublicRateLimiter
from styr_deviations.intake.schemas import PublicFeedback, Receipt
from styr_shared.db import get_session
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError, ProblemError
from styr_shared.metrics import CITIZEN_SUBMISSIONS
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.types import utcnow

router = APIRouter(tags=["citizen intake"])
Session = Annotated[AsyncSession, Depends(get_session)]
MunicipalityId = Annotated[
    str,
    Path(
        max_length=64,
        description="The municipality you write to: its id (e.g. `oxelosund`, `trosa`).",
    ),
]
SEVERAL = "-"  # the rate-limit count of the unnamed path when it cannot say which municipality


def client_ip(request: Request) -> str:
    # The connection's peer, or the client a configured proxy names: uvicorn resolves
    # X-Forwarded-For only from the addresses in STYR_DEVIATIONS_FORWARDED_ALLOW_IPS, so a
    # caller cannot choose its own address (and so its own rate-limit count).
    return request.client.host if request.client else "unknown"


async def _count(request: Request, municipality: str) -> None:
    """Counts every attempt, valid or not, so malformed floods are limited too."""
    limiter: PublicRateLimiter = request.app.state.public_limiter
    retry_after = await limiter.hit(f"{municipality}|{client_ip(request)}")
    if retry_after is not None:
        CITIZEN_SUBMISSIONS.labels("rate_limited").inc()
        raise ProblemError(
            "Too many submissions from your address; try again later.",
            status=429,
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )


async def rate_limit_named(request: Request, municipality_id: MunicipalityId) -> None:
    await _count(request, municipality_id)


async def _only_municipality(session: AsyncSession) -> str | None:
    roots = await session.exec(
        select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.parent_id).is_(None)).limit(2)
    )
    found = list(roots)
    return str(found[0]) if len(found) == 1 else None


async def rate_limit_unnamed(request: Request, session: Session) -> None:
    await _count(request, await _only_municipality(session) or SEVERAL)


LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Rate limited; see `Retry-After`."}
}
DESCRIPTION = (
    "Anonymous submissions are allowed. Input is validated strictly: unknown fields, control "
    "characters and over-long texts are refused with 422, bodies over the size limit with 413, "
    "too many submissions from one address to one municipality with 429. What is accepted is "
    "stored whole and answered with a reference number of the municipality's series and a "
    "receipt. Without `org_unit_id` the municipality's intake unit receives it (409 while the "
    "municipality has chosen none)."
)


@router.post(
    "/public/{municipality_id}/feedback",
    response_model=Receipt,
    status_code=status.HTTP_201_CREATED,
    summary='Submit feedback or a complaint to a municipality ("Säg vad du tycker"); no login',
    description=DESCRIPTION,
    dependencies=[Depends(rate_limit_named)],
    responses=LIMITED,
    operation_id="submitMunicipalityFeedback",
)
async def submit_to(
    municipality_id: MunicipalityId, body: PublicFeedback, session: Session, ctx: Ctx
) -> Receipt:
    # No feed pull for the municipality: the path is anyone's to vary, and a pull per
    # invented name would be a lever on the goals service (new municipalities arrive with the
    # next poll). The unit below is looked up only once the municipality exists.
    root = await session.get(ReplicaOrgUnit, municipality_id)
    if root is None or root.parent_id is not None:
        raise NotFoundError(f"Municipality {municipality_id!r} does not exist.")
    return await _submit(session, ctx, municipality_id, body)


@router.post(
    "/public/feedback",
    response_model=Receipt,
    status_code=status.HTTP_201_CREATED,
    summary='Submit feedback or a complaint ("Säg vad du tycker"); no login',
    description=DESCRIPTION + " This path serves a deployment of one municipality; where "
    "there are several it answers 409: use `/public/{municipality_id}/feedback`.",
    dependencies=[Depends(rate_limit_unnamed)],
    responses=LIMITED,
    operation_id="submitFeedback",
)
async def submit(body: PublicFeedback, session: Session, ctx: Ctx) -> Receipt:
    municipality_id = await _only_municipality(session)
    if municipality_id is None:
        roots = await session.exec(
            select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.parent_id).is_(None))
        )
        names = ", ".join(sorted(str(root) for root in roots)) or "none known yet"
        raise ConflictError(
            "This service serves several municipalities: submit to "
            f"/api/v1/public/{{municipality_id}}/feedback (one of: {names}).",
            slug="municipality-required",
        )
    return await _submit(session, ctx, municipality_id, body)


async def _submit(
    session: AsyncSession, ctx: Context, municipality_id: str, body: PublicFeedback
) -> Receipt:
    try:
        receipt = await _register(session, ctx, municipality_id, body)
    except ProblemError:
        CITIZEN_SUBMISSIONS.labels("rejected").inc()
        raise
    CITIZEN_SUBMISSIONS.labels("accepted").inc()
    return receipt


async def _register(
    session: AsyncSession, ctx: Context, municipality_id: str, body: PublicFeedback
) -> Receipt:
    if body.org_unit_id is not None:
        unit = await get_unit(session, body.org_unit_id)
        if unit is None or unit.municipality_id != municipality_id:
            raise InvalidFieldError(
                "body.org_unit_id", f"not an org unit of municipality {municipality_id!r}"
            )
        unit_id = unit.id
    else:
        settings = await casesettings.load(session, municipality_id)
        if settings.intake_unit_id is None:
            raise ConflictError(
                f"Municipality {municipality_id!r} has not chosen a unit to receive citizen "
                "feedback; name the unit (org_unit_id) or try again later.",
                slug="intake-not-configured",
            )
        unit_id = settings.intake_unit_id
    event_time = (
        datetime.combine(body.event_date, time(12), tzinfo=LOCAL_TIME) if body.event_date else None
    )
    if body.event_date and event_time and event_time.date() > local_date(utcnow()):
        raise InvalidFieldError("body.event_date", "must not be in the future")
    receipt_id = uuid.uuid4().hex
    case = await cases.create_case(
        session,
        ctx,
        CaseCreate(
            kind=CaseKind(body.kind),
            feedback_type=body.feedback_type,
            category=body.category,
            org_unit_id=unit_id,
            event_time=min(event_time, utcnow()) if event_time else None,
            channel=Channel.WEB_FORM,
            reporter_type=ReporterType.ANONYMOUS if body.anonymous else ReporterType.CITIZEN,
            reporter=body.contact,
            description=body.message,
        ),
        actor=None,
        receipt_id=receipt_id,
    )
    anonymous_note = (
        " Eftersom du är anonym kan vi inte svara dig direkt." if body.anonymous else ""
    )
    return Receipt(
        reference_number=case.reference_number,
        receipt_id=receipt_id,
        received_at=case.reported_at,
        kind=case.kind,
        anonymous=body.anonymous,
        answer_due=None if body.anonymous else case.due_date,
        message=f"Tack! Vi har tagit emot ditt ärende med diarienummer "
        f"{case.reference_number}.{anonymous_note}",
    )
