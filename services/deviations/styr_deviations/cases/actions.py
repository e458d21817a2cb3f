"""Actions (åtgärder) decided in a case, and the follow-up of their effect."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import CaseAction
from styr_deviations.cases.schemas import ActionCreate, ActionUpdate
from styr_deviations.cases.service import protect_texts, record, require_open, touch
from styr_deviations.context import Context
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, InvalidFieldError, NotFoundError
from styr_shared.types import utcnow


async def add_action(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: ActionCreate
) -> CaseAction:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    fields = data.model_dump()
    fields |= protect_texts(
        session, ctx, case, principal.subject, {"description": fields["description"]}
    )
    data = ActionCreate.model_validate(fields)
    action = CaseAction(case_id=case_id, **fields)
    session.add(action)
    await session.flush()
    record(
        session,
        case,
        principal.subject,
        "action_added",
        field=f"action:{action.id}",
        after=data.model_dump(mode="json"),
    )
    touch(case)
    session.add(case)
    await session.commit()
    return action


async def _action(session: AsyncSession, case_id: int, action_id: int) -> CaseAction:
    action = await session.get(CaseAction, action_id)
    if action is None or action.case_id != case_id:
        raise NotFoundError(f"Action {action_id} does not exist in case {case_id}.")
    return action


async def update_action(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    case_id: int,
    action_id: int,
    data: ActionUpdate,
) -> CaseAction:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    action = await _action(session, case_id, action_id)
    changes = data.model_dump(exclude_unset=True)
    if "description" in changes:
        changes |= protect_texts(
            session, ctx, case, principal.subject, {"description": changes["description"]}
        )
    for field, value in changes.items():
        if value is None and field in ("description", "owner", "status"):
            raise InvalidFieldError(f"body.{field}", "cannot be removed")
        before = getattr(action, field)
        if before != value:
            setattr(action, field, value)
            record(
                session,
                case,
                principal.subject,
                "action_changed",
                field=f"action:{action_id}.{field}",
                before=before,
                after=value,
            )
    session.add(action)
    touch(case)
    session.add(case)
    await session.commit()
    return action


async def follow_up_action(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    case_id: int,
    action_id: int,
    effect: str,
) -> CaseAction:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    action = await _action(session, case_id, action_id)
    effect = protect_texts(session, ctx, case, principal.subject, {"effect": effect})["effect"]
    if action.status == "cancelled":
        raise ConflictError("A cancelled action has no effect to follow up.")
    before = action.effect_follow_up
    action.effect_follow_up = effect
    action.effect_followed_up_at = utcnow()
    action.effect_followed_up_by = principal.subject
    if action.status != "done":
        action.status = "done"
    session.add(action)
    record(
        session,
        case,
        principal.subject,
        "action_followed_up",
        field=f"action:{action_id}.effect_follow_up",
        before=before,
        after=effect,
    )
    touch(case)
    session.add(case)
    await session.commit()
    return action
