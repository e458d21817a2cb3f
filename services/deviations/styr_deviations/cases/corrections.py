"""Corrections of cases: by hand (``PATCH``), by re-importing a migrated case with the same
external id, and the withdrawal of a wrongly imported case. Every change is in the history."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access, investigations
from styr_deviations.cases.models import Case
from styr_deviations.cases.schemas import CaseUpdate, WithdrawImportIn, external_answer_rule
from styr_deviations.cases.service import (
    CLOCK_SKEW,
    FREE_TEXTS,
    REDACTED,
    add_numbers_in_text,
    protect_texts,
    record,
    require_open,
    resolve_unit,
    set_fields,
    touch,
)
from styr_deviations.categories.service import load_catalog
from styr_deviations.config import CaseKind, local_date
from styr_deviations.context import Context
from styr_shared.auth import Principal
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError
from styr_shared.types import utcnow

EXTERNAL = ("external_direction", "external_party", "external_date", "external_answered_on")


def _check_external(case: Case, changes: dict[str, Any]) -> None:
    given = [name for name in EXTERNAL if name in changes]
    if not given:
        return
    if case.kind != CaseKind.EXTERNAL_DEVIATION:
        raise InvalidFieldError(f"body.{given[0]}", "only applies to external deviations")
    if "external_direction" in changes and changes["external_direction"] is None:
        raise InvalidFieldError("body.external_direction", "an external deviation has one")
    try:
        external_answer_rule(
            changes.get("external_date", case.external_date),
            changes.get("external_answered_on", case.external_answered_on),
        )
    except ValueError as exc:
        raise InvalidFieldError("body.external_answered_on", str(exc)) from None


async def update_case(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: CaseUpdate
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    changes = data.model_dump(exclude_unset=True, exclude={"person", "reporter"})
    for name in ("channel", "description"):
        if name in changes and changes[name] is None:
            raise InvalidFieldError(f"body.{name}", "cannot be removed")
    _check_external(case, changes)
    if "investigation_outcome" in changes:
        investigations.require_investigator(principal, case)
    if "org_unit_id" in changes:
        if changes["org_unit_id"] is None:
            raise InvalidFieldError("body.org_unit_id", "a case must belong to an org unit")
        unit = await resolve_unit(session, changes["org_unit_id"], "body.org_unit_id")
        if not await access.in_scope(session, principal, unit.id):
            raise ForbiddenError("The new org unit is outside your scope.")
        if unit.municipality_id != case.municipality_id:
            # its reference number belongs to its municipality's series
            raise InvalidFieldError(
                "body.org_unit_id", "a case stays in its municipality; register it there anew"
            )
    event_time = changes.get("event_time", case.event_time)
    if event_time is not None and event_time > case.reported_at + CLOCK_SKEW:
        raise InvalidFieldError("body.event_time", "must not be after reported_at")
    category = changes.get("category", case.category)
    if "category" in changes or "event_time" in changes:
        year = local_date(event_time or case.reported_at).year
        catalog = await load_catalog(session, case.municipality_id)
        catalog.check(category, CaseKind(case.kind), year, "body.category")
    texts = {field: changes[field] for field in FREE_TEXTS if field in changes}
    changes |= protect_texts(session, ctx, case, principal.subject, texts)
    set_fields(session, case, principal.subject, changes, "field_change")
    if "person" in data.model_fields_set or "reporter" in data.model_fields_set:
        if not access.may_see_personal_data(principal, case):
            raise ForbiddenError("Your role may not record personal data in this case.")
        had_data = case.personal_data is not None
        current = ctx.cipher.decrypt(case.personal_data) if case.personal_data else {}
        if "person" in data.model_fields_set:
            current["person"] = data.person.model_dump() if data.person else None
            pnr = data.person.personnummer if data.person else None
            case.person_hash = ctx.cipher.search_hash(pnr) if pnr else None
        if "reporter" in data.model_fields_set:
            current["reporter"] = data.reporter.model_dump() if data.reporter else None
        empty = not any(current.get(key) for key in ("person", "reporter", "numbers_in_text"))
        case.personal_data = None if empty else ctx.cipher.encrypt(current)
        record(
            session,
            case,
            principal.subject,
            "field_change",
            field="personal_data",
            before=REDACTED if had_data else None,
            after=None if empty else REDACTED,
        )
        touch(case)
        session.add(case)
    await session.commit()
    return case


# Migrated cases ------------------------------------------------------------------------------

IMPORTED_FIELDS = (
    "kind",
    "law_area",
    "regime",
    "category",
    "feedback_type",
    "housing_type",
    "external_direction",
    "external_party",
    "external_date",
    "external_answered_on",
    "investigation_outcome",
    "event_time",
    "reported_at",
    "org_unit_id",
    "channel",
    "reporter_type",
    "description",
    "immediate_actions",
    "state",
    "received_at",
    "answered_at",
    "answer_summary",
    "closed_at",
    "lm_report_to_ivo",
    "lm_ivo_report_date",
    "lm_ivo_case_number",
)
"""What a migration import row sets, and a re-import of the row corrects."""
DEADLINE_INPUTS = ("kind", "reported_at", "reporter_type")
REFERENCE_FIELDS = ("reference_number", "legacy_reference", "series", "serial")


def correct_from_import(
    session: AsyncSession, ctx: Context, case: Case, fresh: Case, actor: str
) -> int:
    """Make ``case`` say what ``fresh`` (the re-imported row, built as a new case would be)
    says, closed cases included; one history row per changed field (``import_correction``).
    Returns how many fields changed: none for the same row imported again.

    The deadline follows only when what it is computed from changed (a municipality's new
    deadline rule does not rewrite old cases); a corrected old reference number replaces the
    old one (a number of the municipality's series is never replaced).
    """
    changes = {name: getattr(fresh, name) for name in IMPORTED_FIELDS}
    if any(getattr(case, name) != changes[name] for name in DEADLINE_INPUTS):
        changes |= {"due_date": fresh.due_date, "deadline_milestone": fresh.deadline_milestone}
    if fresh.legacy_reference is not None and case.legacy_reference is not None:
        changes |= {name: getattr(fresh, name) for name in REFERENCE_FIELDS}
    texts_changed = any(getattr(case, name) != changes[name] for name in FREE_TEXTS)
    changed = set_fields(session, case, actor, changes, "import_correction")
    if texts_changed and fresh.personal_data:
        numbers = ctx.cipher.decrypt(fresh.personal_data).get("numbers_in_text", [])
        if numbers:
            add_numbers_in_text(session, ctx, case, actor, numbers)
    return changed


async def withdraw_import(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: WithdrawImportIn
) -> Case:
    """An admin withdraws a wrongly imported case: it is kept (and its history), shown as
    withdrawn, can no longer be changed, and leaves the statistics."""
    if not principal.is_admin:
        raise ForbiddenError("Withdrawing an imported case needs the admin role.")
    case = await access.load_case_for_update(session, principal, case_id)
    if case.external_id is None:
        raise ConflictError("Only imported cases are withdrawn this way; use the workflow.")
    reason = protect_texts(session, ctx, case, principal.subject, {"reason": data.reason})
    now = utcnow()
    case.import_withdrawn_at = now
    record(
        session,
        case,
        principal.subject,
        "import_withdrawn",
        field="import_withdrawn_at",
        before=None,
        after=now,
        reason=reason["reason"],
    )
    touch(case)
    session.add(case)
    await session.commit()
    return case
