"""Case logic: registration with gap-free reference numbers, reads without personal data,
transitions with an append-only history, risk and answers.

Actions and their follow-up are in :mod:`~styr_deviations.cases.actions`; corrections (by hand, by
re-import, withdrawal of a wrong import) are in :mod:`~styr_deviations.cases.corrections`; Lex
Maria, Lex Sarah, reclassification and investigation outcomes in
:mod:`~styr_deviations.cases.investigations`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import func
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access, workflow
from styr_deviations.cases.models import Case, CaseAction, CaseHistory
from styr_deviations.cases.references import assign_references
from styr_deviations.cases.schemas import (
    ActionRead,
    AnswerIn,
    CaseCreate,
    CaseRead,
    CaseUpdate,
    DeadlineRead,
    LexMariaRead,
    LexSarahRead,
    RaiseDeviationIn,
    RiskIn,
    RiskRead,
    TransitionIn,
)
from styr_deviations.casesettings import service as casesettings
from styr_deviations.casesettings.schemas import CaseSettings
from styr_deviations.categories.service import Catalog, load_catalog
from styr_deviations.config import (
    LOCAL_TIME,
    TERMINAL_STATES,
    CaseKind,
    CaseState,
    Channel,
    DeadlineMilestone,
    HousingType,
    InvestigationOutcome,
    LawArea,
    Regime,
    ReporterType,
    local_date,
)
from styr_deviations.context import Context
from styr_deviations.personaldata.personnummer import extract_from_fields
from styr_shared import orgtree
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.metrics import CASES_REGISTERED
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.pagination import PageParams, paginate
from styr_shared.types import utcnow

CLOCK_SKEW = timedelta(minutes=5)
REDACTED = "[personal data]"


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: AsyncSession,
    case: Case,
    actor: str,
    event: str,
    *,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> None:
    assert case.id is not None
    session.add(
        CaseHistory(
            case_id=case.id,
            actor=actor,
            event=event,
            field=field,
            before=jsonable(before),
            after=jsonable(after),
            reason=reason,
        )
    )


# Validation ----------------------------------------------------------------------------------


async def resolve_unit(session: AsyncSession, unit_id: str, field: str) -> ReplicaOrgUnit:
    """The replicated unit (a unit created in the goals service a moment ago pulls the feed)."""
    unit = await get_unit(session, unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {unit_id!r}")
    return unit


@dataclass(frozen=True)
class Rules:
    """What a municipality has decided about its cases, loaded once per request or import."""

    municipality_id: str
    settings: CaseSettings
    catalog: Catalog


async def rules_for(session: AsyncSession, municipality_id: str) -> Rules:
    return Rules(
        municipality_id,
        await casesettings.load(session, municipality_id),
        await load_catalog(session, municipality_id),
    )


def require_registrar(actor: Principal) -> None:
    if not access.has_case_role(actor) and not actor.has_any_role(Role.IMPORTER):
        raise ForbiddenError("Registering cases needs a case-handling role.")


def personal_document(data: CaseCreate | CaseUpdate) -> dict[str, Any] | None:
    person = data.person.model_dump() if data.person else None
    reporter = data.reporter.model_dump() if data.reporter else None
    if person is None and reporter is None:
        return None
    return {"person": person, "reporter": reporter}


# Registration --------------------------------------------------------------------------------


async def build_case(
    session: AsyncSession,
    ctx: Context,
    data: CaseCreate,
    *,
    actor: Principal | None,
    rules: Rules,
    receipt_id: str | None = None,
    external_id: str | None = None,
    legacy_reference: str | None = None,
    state: CaseState = CaseState.REGISTERED,
    unit_checked: bool = False,
) -> Case:
    """Validate a registration and build the case, without a reference number yet.

    ``data.org_unit_id`` is a known unit of ``rules``' municipality (the caller resolved it).
    ``actor`` is None for a citizen (public intake). ``unit_checked`` skips the scope check
    when the caller (the import) has made it already.
    """
    now = utcnow()
    if (
        actor is not None
        and not unit_checked
        and not await access.in_scope(session, actor, data.org_unit_id)
    ):
        raise ForbiddenError("The org unit is outside your scope.")
    reported_at = data.reported_at or now
    if reported_at > now + CLOCK_SKEW:
        raise InvalidFieldError("body.reported_at", "must not be in the future")
    if data.event_time is not None:
        if data.event_time > now + CLOCK_SKEW:
            raise InvalidFieldError("body.event_time", "must not be in the future")
        if data.event_time > reported_at + CLOCK_SKEW:
            raise InvalidFieldError("body.event_time", "must not be after reported_at")
    category_year = local_date(data.event_time or reported_at).year
    rules.catalog.check(data.category, data.kind, category_year, "body.category")

    rule = rules.settings.deadlines.get(data.kind)
    if (
        rule is not None
        and rule.milestone is DeadlineMilestone.ANSWERED
        and data.reporter_type is ReporterType.ANONYMOUS
    ):
        rule = None  # nobody to answer
    document = personal_document(data)
    texts, numbers = extract_from_fields(
        {"description": data.description, "immediate_actions": data.immediate_actions}
    )
    if numbers:  # a personnummer typed into a text is kept only in the encrypted document
        document = (document or {"person": None, "reporter": None}) | {"numbers_in_text": numbers}
    personnummer = data.person.personnummer if data.person else None
    return Case(
        municipality_id=rules.municipality_id,
        reference_number=legacy_reference or "",
        series=f"legacy:{legacy_reference}" if legacy_reference else "",
        serial=1 if legacy_reference else 0,
        kind=data.kind,
        law_area=data.law_area,
        regime=data.regime,
        category=data.category,
        feedback_type=data.feedback_type,
        housing_type=data.housing_type,
        external_direction=data.external_direction,
        external_party=data.external_party,
        external_date=data.external_date,
        external_answered_on=data.external_answered_on,
        event_time=data.event_time,
        reported_at=reported_at,
        org_unit_id=data.org_unit_id,
        channel=data.channel,
        reporter_type=data.reporter_type,
        reported_by=actor.subject if actor else None,
        description=texts["description"] or "",
        immediate_actions=texts["immediate_actions"],
        state=state,
        due_date=rule.due(local_date(reported_at)) if rule else None,
        deadline_milestone=rule.milestone if rule else None,
        personal_data=ctx.cipher.encrypt(document) if document else None,
        person_hash=ctx.cipher.search_hash(personnummer) if personnummer else None,
        receipt_id=receipt_id,
        external_id=external_id,
        legacy_reference=legacy_reference,
        created_at=now,
        updated_at=now,
    )


def record_created(session: AsyncSession, case: Case, actor: str) -> None:
    record(
        session,
        case,
        actor,
        "created",
        after={
            "reference_number": case.reference_number,
            "kind": case.kind,
            "law_area": case.law_area,
            "regime": case.regime,
            "org_unit_id": case.org_unit_id,
            "state": case.state,
            "personal_data": REDACTED if case.personal_data else None,
        },
    )


async def create_case(
    session: AsyncSession,
    ctx: Context,
    data: CaseCreate,
    *,
    actor: Principal | None,
    receipt_id: str | None = None,
    commit: bool = True,
) -> Case:
    """Register one case with the next reference number of its municipality's series.
    ``actor`` None = a citizen (the intake has checked the unit's municipality)."""
    if actor is not None:
        require_registrar(actor)
    unit = await resolve_unit(session, data.org_unit_id, "body.org_unit_id")
    rules = await rules_for(session, unit.municipality_id)
    case = await build_case(session, ctx, data, actor=actor, rules=rules, receipt_id=receipt_id)
    await assign_references(session, rules.municipality_id, rules.settings, [case])
    session.add(case)
    await session.flush()
    record_created(session, case, actor.subject if actor else "citizen")
    if commit:
        await session.commit()
        CASES_REGISTERED.labels(case.kind, case.channel).inc()
    return case


# Reading -------------------------------------------------------------------------------------


def is_overdue(case: Any, today: date) -> bool:
    """For a case, or any row with its deadline columns."""
    if case.due_date is None or case.state in TERMINAL_STATES:
        return False
    met = case.received_at if case.deadline_milestone == "received" else case.answered_at
    return met is None and case.due_date < today


def days_between(start: datetime, end: datetime) -> int:
    return (local_date(end) - local_date(start)).days


def to_read(case: Case, settings: CaseSettings, actions: Sequence[CaseAction] = ()) -> CaseRead:
    """The case as the API shows it; ``settings`` are its municipality's (the risk labels)."""
    assert case.id is not None
    matrix = settings.risk_matrix
    risk = None
    if case.risk_probability is not None and case.risk_consequence is not None:
        level = matrix.level_for(case.risk_probability, case.risk_consequence)
        risk = RiskRead(
            probability=case.risk_probability,
            probability_label=matrix.label("probability", case.risk_probability),
            consequence=case.risk_consequence,
            consequence_label=matrix.label("consequence", case.risk_consequence),
            score=case.risk_probability * case.risk_consequence,
            level=case.risk_level or level.key,
            level_label=level.label,
        )
    lex_maria = None
    if case.regime == Regime.LEX_MARIA or case.lm_mas_assessment or case.lm_report_to_ivo:
        lex_maria = LexMariaRead(
            mas_assessment=case.lm_mas_assessment,
            event_analysis=case.lm_event_analysis,
            report_to_ivo=case.lm_report_to_ivo,
            decision_date=case.lm_decision_date,
            ivo_report_date=case.lm_ivo_report_date,
            ivo_case_number=case.lm_ivo_case_number,
        )
    lex_sarah = None
    if case.regime == Regime.LEX_SARAH or case.ls_standpoint or case.ls_initial_assessment:
        lex_sarah = LexSarahRead(
            initial_assessment=case.ls_initial_assessment,
            investigation=case.ls_investigation,
            standpoint=case.ls_standpoint,
            ivo_report_date=case.ls_ivo_report_date,
            ivo_case_number=case.ls_ivo_case_number,
        )
    deadline = None
    if case.due_date is not None and case.deadline_milestone is not None:
        milestone = DeadlineMilestone(case.deadline_milestone)
        deadline = DeadlineRead(
            milestone=milestone,
            due_date=case.due_date,
            met_at=case.received_at
            if milestone is DeadlineMilestone.RECEIVED
            else case.answered_at,
            overdue=is_overdue(case, local_date(utcnow())),
        )
    return CaseRead(
        id=case.id,
        municipality_id=case.municipality_id,
        reference_number=case.reference_number,
        kind=CaseKind(case.kind),
        law_area=LawArea(case.law_area) if case.law_area else None,
        regime=Regime(case.regime),
        category=case.category,
        feedback_type=case.feedback_type,
        housing_type=case.housing_type,
        external_direction=case.external_direction,
        external_party=case.external_party,
        external_date=case.external_date,
        external_answered_on=case.external_answered_on,
        investigation_outcome=(
            InvestigationOutcome(case.investigation_outcome) if case.investigation_outcome else None
        ),
        event_time=case.event_time,
        reported_at=case.reported_at,
        org_unit_id=case.org_unit_id,
        channel=case.channel,
        reporter_type=case.reporter_type,
        reported_by=case.reported_by,
        description=case.description,
        immediate_actions=case.immediate_actions,
        state=CaseState(case.state),
        assigned_to=case.assigned_to,
        mas_routed=case.mas_routed,
        mas_took_over=case.mas_took_over,
        risk=risk,
        lex_maria=lex_maria,
        lex_sarah=lex_sarah,
        deadline=deadline,
        received_at=case.received_at,
        answered_at=case.answered_at,
        answer_summary=case.answer_summary,
        days_to_answer=days_between(case.reported_at, case.answered_at)
        if case.answered_at
        else None,
        closed_at=case.closed_at,
        has_personal_data=case.personal_data is not None,
        external_id=case.external_id,
        legacy_reference=case.legacy_reference,
        import_withdrawn_at=case.import_withdrawn_at,
        related_case_id=case.related_case_id,
        actions=[ActionRead.model_validate(a) for a in actions],
    )


async def actions_of(session: AsyncSession, case_id: int) -> Sequence[CaseAction]:
    statement = (
        select(CaseAction).where(col(CaseAction.case_id) == case_id).order_by(col(CaseAction.id))
    )
    return (await session.exec(statement)).all()


async def read_case(session: AsyncSession, principal: Principal, case_id: int) -> CaseRead:
    case = await access.load_case(session, principal, case_id)
    assert case.id is not None
    settings = await casesettings.load(session, case.municipality_id)
    return to_read(case, settings, await actions_of(session, case.id))


async def present(
    session: AsyncSession, cases: Sequence[Case], *, with_actions: bool = False
) -> list[CaseRead]:
    """Cases as the API shows them, each with its municipality's settings (loaded once per
    municipality); their actions only ``with_actions`` (one query for all of them)."""
    settings = await casesettings.load_many(session, {case.municipality_id for case in cases})
    actions: dict[int, list[CaseAction]] = {}
    if with_actions and cases:
        statement = (
            select(CaseAction)
            .where(col(CaseAction.case_id).in_([case.id for case in cases]))
            .order_by(col(CaseAction.id))
        )
        for action in (await session.exec(statement)).all():
            actions.setdefault(action.case_id, []).append(action)
    return [
        to_read(case, settings[case.municipality_id], actions.get(case.id or 0, ()))
        for case in cases
    ]


def overdue_clause(today: date) -> Any:
    return and_(
        col(Case.state).not_in([s.value for s in TERMINAL_STATES]),
        col(Case.due_date) < today,
        or_(
            and_(col(Case.deadline_milestone) == "received", col(Case.received_at).is_(None)),
            and_(col(Case.deadline_milestone) == "answered", col(Case.answered_at).is_(None)),
        ),
    )


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    kind: CaseKind | None = None,
    state: CaseState | None = None,
    law_area: LawArea | None = None,
    org_unit_id: str | None = None,
    overdue: bool | None = None,
    year: int | None = None,
    mas_routed: bool | None = None,
    municipality_id: str | None = None,
    ids: Sequence[int] | None = None,
) -> tuple[list[Case], str | None]:
    if not access.has_case_role(principal):
        raise ForbiddenError("Case lists need a case-handling role; use the statistics.")
    statement = select(Case)
    if ids is not None:
        statement = statement.where(col(Case.id).in_(ids))
    units = await access.scope_units(session, principal)
    if units is not None:
        statement = statement.where(col(Case.org_unit_id).in_(sorted(units)))
    if municipality_id is not None:
        statement = statement.where(col(Case.municipality_id) == municipality_id)
    if org_unit_id is not None:
        if await get_unit(session, org_unit_id) is None:
            raise NotFoundError(f"Org unit {org_unit_id!r} is unknown here.")
        subtree = await orgtree.descendants(session, ReplicaOrgUnit, org_unit_id)
        statement = statement.where(col(Case.org_unit_id).in_(subtree))
    if kind is not None:
        statement = statement.where(col(Case.kind) == kind)
    if state is not None:
        statement = statement.where(col(Case.state) == state)
    if law_area is not None:
        statement = statement.where(col(Case.law_area) == law_area)
    if mas_routed is not None:
        statement = statement.where(col(Case.mas_routed) == mas_routed)
    if year is not None:
        start = datetime(year, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        statement = statement.where(col(Case.reported_at) >= start, col(Case.reported_at) < end)
    if overdue is not None:
        clause = overdue_clause(local_date(utcnow()))
        # A case without a deadline is never overdue (and NOT on NULL would drop it).
        statement = statement.where(
            clause if overdue else or_(col(Case.due_date).is_(None), ~clause)
        )
    return await paginate(session, statement, [col(Case.id)], page)


async def history(
    session: AsyncSession, principal: Principal, case_id: int
) -> Sequence[CaseHistory]:
    await access.load_case(session, principal, case_id)
    statement = (
        select(CaseHistory).where(col(CaseHistory.case_id) == case_id).order_by(col(CaseHistory.id))
    )
    return (await session.exec(statement)).all()


# Changes -------------------------------------------------------------------------------------


def touch(case: Case) -> None:
    case.updated_at = utcnow()


def set_fields(
    session: AsyncSession, case: Case, actor: str, changes: dict[str, Any], event: str
) -> int:
    """Apply changes and record one history row per field that really changed."""
    changed = 0
    for field, value in changes.items():
        before = getattr(case, field)
        if before == value or (isinstance(value, Enum) and before == value.value):
            continue
        setattr(case, field, value.value if isinstance(value, Enum) else value)
        record(session, case, actor, event, field=field, before=before, after=value)
        changed += 1
    if changed:
        touch(case)
        session.add(case)
    return changed


FREE_TEXTS = ("description", "immediate_actions")


def protect_texts(
    session: AsyncSession, ctx: Context, case: Case, actor: str, texts: dict[str, Any]
) -> dict[str, Any]:
    """``texts`` with every personnummer typed into them replaced by a mark; the numbers go
    to the case's encrypted document."""
    cleaned, numbers = extract_from_fields(
        {field: value for field, value in texts.items() if isinstance(value, str)}
    )
    if numbers:
        add_numbers_in_text(session, ctx, case, actor, numbers)
    return texts | cleaned


def add_numbers_in_text(
    session: AsyncSession, ctx: Context, case: Case, actor: str, numbers: list[Any]
) -> None:
    """Keep personnummer typed into a text in the encrypted document (the text shows a mark)."""
    had_data = case.personal_data is not None
    current = ctx.cipher.decrypt(case.personal_data) if case.personal_data else {}
    current["numbers_in_text"] = [*current.get("numbers_in_text", []), *numbers]
    case.personal_data = ctx.cipher.encrypt(current)
    record(
        session,
        case,
        actor,
        "field_change",
        field="personal_data",
        before=REDACTED if had_data else None,
        after=REDACTED,
    )
    touch(case)
    session.add(case)


async def transition(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: TransitionIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    assert case.id is not None
    actions = await actions_of(session, case.id)
    workflow.check_transition(
        case, data.to, access.acting_roles(principal, case), actions, data.reason
    )
    before = case.state
    now = utcnow()
    case.state = data.to
    if data.to is CaseState.RECEIVED:
        case.received_at = now
        case.acknowledged_at = case.acknowledged_at or now
        assignee = data.assigned_to or principal.subject
        if case.assigned_to != assignee:
            record(
                session,
                case,
                principal.subject,
                "field_change",
                field="assigned_to",
                before=case.assigned_to,
                after=assignee,
            )
            case.assigned_to = assignee
    if data.to in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN):
        case.closed_at = now
    record(
        session,
        case,
        principal.subject,
        "transition",
        field="state",
        before=before,
        after=data.to,
        reason=protect_texts(session, ctx, case, principal.subject, {"reason": data.reason})[
            "reason"
        ],
    )
    touch(case)
    session.add(case)
    await session.commit()
    return case


def require_open(case: Case) -> None:
    if case.state in TERMINAL_STATES:
        raise ConflictError(f"The case is {case.state}; it can no longer be changed.")


async def assess_risk(
    session: AsyncSession, principal: Principal, case_id: int, data: RiskIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    matrix = (await casesettings.load(session, case.municipality_id)).risk_matrix
    if matrix.label("probability", data.probability) is None:
        raise InvalidFieldError("body.probability", "not a step of the configured scale")
    if matrix.label("consequence", data.consequence) is None:
        raise InvalidFieldError("body.consequence", "not a step of the configured scale")
    level = matrix.level_for(data.probability, data.consequence)
    set_fields(
        session,
        case,
        principal.subject,
        {
            "risk_probability": data.probability,
            "risk_consequence": data.consequence,
            "risk_score": data.probability * data.consequence,
            "risk_level": level.key,
        },
        "risk_assessed",
    )
    severe = matrix.mas_min_consequence is not None and (
        data.consequence >= matrix.mas_min_consequence
    )
    if case.law_area == LawArea.HSL and (level.route_to_mas or severe) and not case.mas_routed:
        case.mas_routed = True
        record(
            session,
            case,
            principal.subject,
            "routed_to_mas",
            field="mas_routed",
            before=False,
            after=True,
            reason=f"risk level {level.key} (consequence {data.consequence})",
        )
    session.add(case)
    await session.commit()
    return case


async def take_over(session: AsyncSession, principal: Principal, case_id: int) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    if Role.MAS not in access.acting_roles(principal, case):
        raise ForbiddenError("Only MAS/MAR may take over a health-care (HSL) case.")
    if case.mas_took_over:
        raise ConflictError("MAS has already taken this case over.")
    set_fields(
        session,
        case,
        principal.subject,
        {"mas_took_over": True, "assigned_to": principal.subject},
        "mas_took_over",
    )
    await session.commit()
    return case


async def answer(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: AnswerIn
) -> Case:
    case = await access.load_case_for_update(session, principal, case_id)
    require_open(case)
    if case.kind not in (CaseKind.COMPLAINT, CaseKind.FEEDBACK):
        raise ConflictError("Only complaints and feedback are answered.")
    answered_at = data.answered_at or utcnow()
    if answered_at.tzinfo is None:
        raise InvalidFieldError("body.answered_at", "needs a timezone")
    if answered_at > utcnow() + CLOCK_SKEW or answered_at < case.reported_at:
        raise InvalidFieldError("body.answered_at", "must lie between registration and now")
    set_fields(
        session,
        case,
        principal.subject,
        {
            "answered_at": answered_at,
            **protect_texts(
                session, ctx, case, principal.subject, {"answer_summary": data.summary}
            ),
        },
        "answered",
    )
    await session.commit()
    return case


async def count_cases(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(Case))).one())


async def raise_deviation(
    session: AsyncSession, ctx: Context, principal: Principal, case_id: int, data: RaiseDeviationIn
) -> Case:
    """Register a deviation from a complaint or feedback; both cases point at each other in
    their history, and the person concerned (not the sender's contact) is carried over."""
    source = await access.load_case_for_update(session, principal, case_id)
    if source.kind not in (CaseKind.COMPLAINT, CaseKind.FEEDBACK):
        raise ConflictError("Only complaints and feedback turn into deviations.")
    document = ctx.cipher.decrypt(source.personal_data) if source.personal_data else {}
    person = document.get("person")
    deviation = await create_case(
        session,
        ctx,
        CaseCreate.model_construct(
            kind=CaseKind.DEVIATION,
            law_area=data.law_area,
            regime=Regime.STANDARD,
            category=data.category,
            feedback_type=None,
            housing_type=HousingType(source.housing_type) if source.housing_type else None,
            external_direction=None,
            external_party=None,
            external_date=None,
            external_answered_on=None,
            event_time=source.event_time,
            reported_at=None,
            org_unit_id=source.org_unit_id,
            channel=Channel.STAFF_REPORT,
            reporter_type=ReporterType.STAFF,
            reporter=None,
            description=data.description or source.description,
            immediate_actions=None,
            person=None,
        ),
        actor=principal,
        commit=False,
    )
    deviation.related_case_id = source.id
    numbers: list[Any] = []
    if data.description is None:  # the complaint's text, and the numbers taken out of it
        numbers += [e for e in document.get("numbers_in_text", []) if e["field"] == "description"]
    if deviation.personal_data:
        numbers += ctx.cipher.decrypt(deviation.personal_data).get("numbers_in_text", [])
    carried: dict[str, Any] = {"person": person, "reporter": None, "numbers_in_text": numbers}
    if person or numbers:
        deviation.personal_data = ctx.cipher.encrypt(carried)
        deviation.person_hash = source.person_hash if person else None
    reason = protect_texts(session, ctx, source, principal.subject, {"reason": data.reason})[
        "reason"
    ]
    session.add(deviation)
    record(
        session,
        source,
        principal.subject,
        "deviation_raised",
        field="related_case",
        after=deviation.reference_number,
        reason=reason,
    )
    record(
        session,
        deviation,
        principal.subject,
        "raised_from",
        field="related_case",
        after=source.reference_number,
        reason=reason,
    )
    await session.commit()
    CASES_REGISTERED.labels(deviation.kind, deviation.channel).inc()
    return deviation
