"""MAS/MAR and Lex Sarah investigations: the Lex Maria assessment and IVO report, the Lex
Sarah investigation, reclassification between regimes and who may record an investigation's
outcome."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import Case
from styr_deviations.cases.schemas import LexMariaIn, LexSarahIn, ReclassifyIn
from styr_deviations.cases.service import (
    jsonable,
    protect_texts,
    record,
    require_open,
    set_fields,
    touch,
)
from styr_deviations.config import LawArea, Regime
from styr_deviations.context import Context
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError

INVESTIGATORS = frozenset({Role.MAS, Role.LEX_SARAH_INVESTIGATOR, Role.ADMIN})


def require_investigator(principal: Principal, case: Case) -> None:
    """An investigation's outcome is recorded by MAS/MAR (health care), the Lex Sarah
    investigator (Lex Sarah cases) or an admin."""
    if not INVESTIGATORS & access.acting_roles(principal, case):
        raise ForbiddenError(
            "Investigation outcomes are recorded by MAS/MAR or the Lex Sarah investigator."
        )


async def lex_maria(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: LexMariaIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    if case.law_area != LawArea.HSL:
        raise ConflictError("Lex Maria applies to health care (HSL); reclassify first.")
    if not {Role.MAS, Role.ADMIN} & access.acting_roles(principal, case):
        raise ForbiddenError("Lex Maria assessments are made by MAS/MAR.")
    changes = {f"lm_{k}": v for k, v in data.model_dump(exclude_unset=True).items()}
    if case.regime != Regime.LEX_MARIA:
        changes["regime"] = Regime.LEX_MARIA
    merged_report = changes.get("lm_report_to_ivo", case.lm_report_to_ivo)
    if changes.get("lm_ivo_report_date", case.lm_ivo_report_date) and merged_report is not True:
        raise InvalidFieldError("body.ivo_report_date", "needs report_to_ivo = true")
    changes = protect_texts(session, ctx, case, principal.subject, changes)
    set_fields(session, case, principal.subject, changes, "lex_maria")
    await session.commit()
    return case


async def lex_sarah(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: LexSarahIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    if case.regime != Regime.LEX_SARAH:
        raise ConflictError("The case is not a Lex Sarah case; reclassify it first.")
    if not {Role.LEX_SARAH_INVESTIGATOR, Role.ADMIN} & access.acting_roles(principal, case):
        raise ForbiddenError("Lex Sarah investigations are made by the Lex Sarah investigator.")
    changes = {f"ls_{k}": v for k, v in data.model_dump(exclude_unset=True).items()}
    changes = protect_texts(session, ctx, case, principal.subject, changes)
    set_fields(session, case, principal.subject, changes, "lex_sarah")
    await session.commit()
    return case


async def reclassify(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: ReclassifyIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    acting = access.acting_roles(principal, case)
    if not acting & {Role.MAS, Role.LEX_SARAH_INVESTIGATOR, Role.ADMIN}:
        raise ForbiddenError("Reclassification is done by MAS/MAR or the Lex Sarah investigator.")
    law_area = data.law_area or (LawArea(case.law_area) if case.law_area else None)
    if data.regime is Regime.LEX_SARAH and law_area not in (LawArea.SOL, LawArea.LSS):
        raise InvalidFieldError("body.law_area", "Lex Sarah needs law area SoL or LSS")
    if data.regime is Regime.LEX_MARIA and law_area is not LawArea.HSL:
        raise InvalidFieldError("body.law_area", "Lex Maria needs law area HSL")
    if data.regime is Regime.STAFF_MATTER and data.ivo_consulted_on is None:
        raise InvalidFieldError(
            "body.ivo_consulted_on", "a staff matter needs the date IVO was consulted"
        )
    if data.regime == case.regime and law_area == case.law_area:
        raise ConflictError("The case already has that classification.")
    before = {"regime": case.regime, "law_area": case.law_area}
    case.regime = data.regime
    case.law_area = law_area
    after: dict[str, Any] = {"regime": data.regime, "law_area": law_area}
    if data.ivo_consulted_on:
        after["ivo_consulted_on"] = data.ivo_consulted_on.isoformat()
    record(
        session,
        case,
        principal.subject,
        "reclassified",
        field="regime",
        before=before,
        after={k: jsonable(v) for k, v in after.items()},
        reason=protect_texts(session, ctx, case, principal.subject, {"reason": data.reason})[
            "reason"
        ],
    )
    touch(case)
    session.add(case)
    await session.commit()
    return case
