"""``POST /public/feedback``: no login, strict validation, rate limited per client IP."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import service as cases
from styr_deviations.cases.schemas import CaseCreate
from styr_deviations.config import LOCAL_TIME, CaseKind, Channel, ReporterType
from styr_deviations.context import Ctx
from styr_deviations.intake.ratelimit import PublicRateLimiter
from styr_deviations.intake.schemas import PublicFeedback, Receipt
from styr_shared.db import get_session
from styr_shared.errors import InvalidFieldError, ProblemError
from styr_shared.types import utcnow

router = APIRouter(tags=["citizen intake"])
Session = Annotated[AsyncSession, Depends(get_session)]


def client_ip(request: Request) -> str:
    # The connection's peer, or the client a configured proxy names: uvicorn resolves
    # X-Forwarded-For only from the addresses in STYR_DEVIATIONS_FORWARDED_ALLOW_IPS, so a
    # caller cannot choose its own address (and so its own rate-limit count).
    return request.client.host if request.client else "unknown"


async def rate_limit(request: Request) -> None:
    """Counts every attempt, valid or not, so malformed floods are limited too."""
    limiter: PublicRateLimiter = request.app.state.public_limiter
    retry_after = await limiter.hit(client_ip(request))
    if retry_after is not None:
        raise ProblemError(
            "Too many submissions from your address; try again later.",
            status=429,
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )


@router.post(
    "/public/feedback",
    response_model=Receipt,
    status_code=status.HTTP_201_CREATED,
    summary='Submit feedback or a complaint ("Säg vad du tycker"); no login',
    description="Anonymous submissions are allowed. Input is validated strictly: unknown "
    "fields, control characters and over-long texts are refused with 422, bodies over the "
    "size limit with 413, too many submissions from one address with 429. What is accepted "
    "is stored whole and answered with a reference number and a receipt.",
    dependencies=[Depends(rate_limit)],
    responses={429: {"description": "Rate limited; see `Retry-After`."}},
)
async def submit(body: PublicFeedback, session: Session, ctx: Ctx) -> Receipt:
    unit = body.org_unit_id or ctx.settings.public_intake_unit
    if body.org_unit_id is not None:
        await cases.check_unit(session, body.org_unit_id, "body.org_unit_id")
    event_time = (
        datetime.combine(body.event_date, time(12), tzinfo=LOCAL_TIME) if body.event_date else None
    )
    if body.event_date and event_time and event_time.date() > cases.local_date(utcnow()):
        raise InvalidFieldError("body.event_date", "must not be in the future")
    receipt_id = uuid.uuid4().hex
    case = await cases.create_case(
        session,
        ctx,
        CaseCreate(
            kind=CaseKind(body.kind),
            feedback_type=body.feedback_type,
            category=body.category,
            org_unit_id=unit,
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
