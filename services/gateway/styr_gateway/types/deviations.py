"""Deviation and complaint statistics of an org subtree (deviations service).

The service decides what the caller may see: it limits counts to the caller's org scope and
hides small counts (``<5``) from roles without case handling. A hidden count has ``count`` null
and ``text`` as the service shows it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import bad_user_input
from styr_gateway.inputs import body_of, field_names
from styr_gateway.loaders import parse
from styr_gateway.records import (
    ActionRecord,
    BreakdownRecord,
    CaseHistoryRecord,
    CaseRecord,
    CountRowRecord,
    DurationRecord,
    StatisticsRecord,
)
from styr_gateway.upstream import Service

COSTS = {
    # Weights (service calls per resolution) and list sizes of the query cost (see cost.py).
    "Case.history": FieldCost(size=20),
    "Mutation.registerCase": FieldCost(),
    "Mutation.transitionCase": FieldCost(),
    "Mutation.addCaseAction": FieldCost(),
}


@strawberry.type(
    description="A count: a number, or hidden for your role (`<5`: 1 to 4; `x`: hidden so "
    "that no `<5` can be worked out from the others, at least 5)."
)
class Count:
    count: int | None = strawberry.field(description="Null when hidden for your role.")
    text: str = strawberry.field(description="As shown: `12`, `<5` or `x`.")

    @classmethod
    def of(cls, value: int | str) -> Count:
        return cls(count=value if isinstance(value, int) else None, text=str(value))


@strawberry.type(description="One group's count; `group` holds the grouping keys.")
class CountGroup(Count):
    group: JSON = strawberry.field(description='E.g. `{"kind": "complaint"}`.')

    @classmethod
    def row(cls, record: CountRowRecord) -> CountGroup:
        value = record.count
        return cls(
            count=value if isinstance(value, int) else None,
            text=str(value),
            group=cast(JSON, dict(record.model_extra or {})),
        )


@strawberry.type(description="Calendar days from registration to answer or closing, per kind.")
class CaseDuration:
    kind: str = strawberry.field(description="The case kind measured, e.g. `complaint`.")
    cases: Count = strawberry.field(description="How many cases the figures are of.")
    mean_days: float | None = strawberry.field(description="Mean number of calendar days.")
    median_days: float | None = strawberry.field(description="Median number of calendar days.")
    max_days: int | None = strawberry.field(description="Longest, in calendar days.")
    within_deadline: Count | None = strawberry.field(description="How many met their deadline.")

    @classmethod
    def of(cls, kind: str, record: DurationRecord) -> CaseDuration:
        return cls(
            kind=kind,
            cases=Count.of(record.count),
            mean_days=record.mean_days,
            median_days=record.median_days,
            max_days=record.max_days,
            within_deadline=(
                Count.of(record.within_deadline) if record.within_deadline is not None else None
            ),
        )


@strawberry.type(
    description="A breakdown whose rows are left out for your role (listing them would give a "
    "hidden count away): within it a missing row is not a zero."
)
class WithheldBreakdown:
    breakdown: str = strawberry.field(description="E.g. `by_category_month`.")
    of: str = strawberry.field(description="The count it breaks down, e.g. `by_year`.")
    key: JSON = strawberry.field(description='That count\'s key, e.g. `{"year": 2024}`.')


@strawberry.enum(description="Which date puts a case in a year and month of the statistics.")
class DeviationDateBasis(Enum):
    REGISTRATION = strawberry.enum_value(
        "registration", description="When the case was registered."
    )
    EVENT = strawberry.enum_value(
        "event", description="When the event happened (the registration where unknown)."
    )

    @property
    def service_value(self) -> str:
        """The deviations service's name of the basis."""
        return "event" if self is DeviationDateBasis.EVENT else "registration"

    @classmethod
    def of(cls, value: str) -> DeviationDateBasis:
        return cls.EVENT if value == "event" else cls.REGISTRATION


@strawberry.type(
    description="One breakdown with its totals, computed by the service: read totals here, "
    "never by adding up rows (hidden counts would be missing)."
)
class DeviationBreakdown:
    name: str = strawberry.field(
        description="`by_month`, `by_category_year`, `by_state`, `by_channel`, "
        "`by_external_direction` or `by_investigation_outcome`."
    )
    keys: list[str] = strawberry.field(description="The keys of each row's `group`.")
    totals_by: list[str] = strawberry.field(description="The keys of each totals row's `group`.")
    rows: list[CountGroup] = strawberry.field(description='The counts; `""` is unknown.')
    totals: list[CountGroup] = strawberry.field(description="Each the sum of its rows.")
    total: Count = strawberry.field(description="The sum of the totals.")

    @classmethod
    def of(cls, name: str, record: BreakdownRecord) -> DeviationBreakdown:
        return cls(
            name=name,
            keys=record.keys,
            totals_by=record.totals_by,
            rows=[CountGroup.row(item) for item in record.rows],
            totals=[CountGroup.row(item) for item in record.totals],
            total=Count.of(record.total),
        )


@strawberry.type(description="Deviations and complaints of an org unit and everything below it.")
class DeviationStatistics:
    suppressed: bool = strawberry.field(description="Small counts are hidden for your role.")
    withheld: list[WithheldBreakdown] = strawberry.field(
        description="Breakdowns left out for your role, and why."
    )
    total: Count = strawberry.field(description="Cases registered in the year.")
    overdue: Count = strawberry.field(description="Open cases past their deadline today.")
    by_kind: list[CountGroup] = strawberry.field(description="Counts per case kind.")
    by_law_area: list[CountGroup] = strawberry.field(
        description="Deviations per law area (HSL, SoL, LSS)."
    )
    by_category_month: list[CountGroup] = strawberry.field(
        description="Counts per category and month."
    )
    by_org_unit: list[CountGroup] = strawberry.field(description="Per unit registered on.")
    overdue_by_kind: list[CountGroup] = strawberry.field(description="Overdue open cases per kind.")
    time_to_answer: list[CaseDuration] = strawberry.field(
        description="Days from registration to answer, per kind."
    )
    time_to_close: list[CaseDuration] = strawberry.field(
        description="Days from registration to closing, per kind."
    )
    date_basis: DeviationDateBasis = strawberry.field(
        description="Which date put the cases in years and months."
    )
    breakdowns: list[DeviationBreakdown] = strawberry.field(
        description="By month, category per year, state, channel, external direction and "
        "investigation outcome, each with its totals."
    )

    @classmethod
    def of(cls, record: StatisticsRecord) -> DeviationStatistics:
        def rows(items: list[CountRowRecord]) -> list[CountGroup]:
            return [CountGroup.row(item) for item in items]

        return cls(
            suppressed=record.suppressed,
            withheld=[
                WithheldBreakdown(
                    breakdown=item.breakdown, of=item.of, key=cast(JSON, dict(item.key))
                )
                for item in record.withheld
            ],
            total=Count.of(record.total),
            overdue=Count.of(record.overdue),
            by_kind=rows(record.by_kind),
            by_law_area=rows(record.by_law_area),
            by_category_month=rows(record.by_category_month),
            by_org_unit=rows(record.by_org_unit),
            overdue_by_kind=rows(record.overdue_by_kind),
            time_to_answer=[
                CaseDuration.of(k, d) for k, d in sorted(record.time_to_answer.items())
            ],
            time_to_close=[CaseDuration.of(k, d) for k, d in sorted(record.time_to_close.items())],
            date_basis=DeviationDateBasis.of(record.date_basis),
            breakdowns=[
                DeviationBreakdown.of(name, item)
                for name, item in sorted(record.breakdowns.items())
            ],
        )


@strawberry.type(description="An action taken on a case, with the follow-up of its effect.")
class CaseAction:
    id: strawberry.ID = strawberry.field(description="Stable id of the action.")
    description: str = strawberry.field(description="What is to be done.")
    owner: str = strawberry.field(description="Who is responsible for it.")
    due_date: date | None = strawberry.field(description="When it is to be done.")
    status: str = strawberry.field(description="`planned`, `in_progress`, `done`, `cancelled`.")
    effect_follow_up: str | None = strawberry.field(
        description="How the action's effect was followed up."
    )
    effect_followed_up_at: datetime | None = strawberry.field(
        description="When its effect was followed up."
    )

    @classmethod
    def of(cls, record: ActionRecord) -> CaseAction:
        return cls(
            id=strawberry.ID(str(record.id)),
            description=record.description,
            owner=record.owner,
            due_date=record.due_date,
            status=record.status,
            effect_follow_up=record.effect_follow_up,
            effect_followed_up_at=record.effect_followed_up_at,
        )


@strawberry.type(description="The case's next deadline (received, answered, …).")
class CaseDeadline:
    milestone: str = strawberry.field(description="What must happen: `received` or `answered`.")
    due_date: date = strawberry.field(description="The day it must happen by.")
    met_at: datetime | None = strawberry.field(description="When it happened; null while open.")
    overdue: bool = strawberry.field(description="Past the due date without having happened.")


@strawberry.type(description="Probability × consequence and the resulting level.")
class CaseRisk:
    probability: int = strawberry.field(description="Probability on the configured scale.")
    consequence: int = strawberry.field(description="Consequence on the configured scale.")
    score: int = strawberry.field(description="Probability × consequence.")
    level: str = strawberry.field(description="Risk level key from the configured matrix.")
    level_label: str = strawberry.field(description="Display label of the risk level.")


@strawberry.type(description="One entry of a case's append-only history.")
class CaseHistoryEntry:
    at: datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(description="Subject of the token that did it.")
    event: str = strawberry.field(description="A transition or a field change.")
    field: str | None = strawberry.field(description="The field changed; null for a transition.")
    before: JSON | None = strawberry.field(description="The value (or state) before.")
    after: JSON | None = strawberry.field(description="The value (or state) after.")
    reason: str | None = strawberry.field(description="The reason given, if any.")

    @classmethod
    def of(cls, record: CaseHistoryRecord) -> CaseHistoryEntry:
        return cls(
            at=record.at,
            actor=record.actor,
            event=record.event,
            field=record.field,
            before=cast(JSON, record.before),
            after=cast(JSON, record.after),
            reason=record.reason,
        )


@strawberry.type(
    description="A deviation, complaint or feedback case (no personal data: the deviations "
    "service shows only what the caller may see)."
)
class Case:
    id: strawberry.ID = strawberry.field(description="Stable id of the case.")
    reference_number: str = strawberry.field(
        description="Reference number (diarienummer), e.g. `VON.2024.17`."
    )
    kind: str = strawberry.field(description="`deviation`, `complaint`, `feedback`, …")
    law_area: str | None = strawberry.field(
        description="`HSL` (health care), `SoL` or `LSS`; deviations only."
    )
    regime: str = strawberry.field(
        description="Reporting regime: `standard`, `lex_maria`, `lex_sarah` or `staff_matter`."
    )
    category: str | None = strawberry.field(description="Category code, valid in the event's year.")
    event_time: datetime | None = strawberry.field(
        description="When the event happened, when known."
    )
    reported_at: datetime = strawberry.field(description="When the case was registered.")
    org_unit_id: strawberry.ID = strawberry.field(
        description="The org unit the case is registered on."
    )
    channel: str = strawberry.field(
        description="How it came in: `staff_report`, `web_form`, `phone`, `letter`, `email`, …"
    )
    description: str = strawberry.field(description="What happened, without personal data.")
    immediate_actions: str | None = strawberry.field(description="What was done at once.")
    state: str = strawberry.field(description="Where the case stands in the workflow.")
    assigned_to: str | None = strawberry.field(
        description="Who handles the case (the unit manager once received)."
    )
    mas_routed: bool = strawberry.field(
        description="The risk level sent this health-care case to the MAS."
    )
    risk: CaseRisk | None = strawberry.field(description="Risk assessment, once made.")
    deadline: CaseDeadline | None = strawberry.field(
        description="The next deadline, while one is open."
    )
    received_at: datetime | None = strawberry.field(
        description="When the case was acknowledged as received."
    )
    answered_at: datetime | None = strawberry.field(
        description="When the complainant was answered."
    )
    days_to_answer: int | None = strawberry.field(
        description="Calendar days from registration to answer."
    )
    closed_at: datetime | None = strawberry.field(description="When the case was closed.")
    external_direction: str | None = strawberry.field(
        description="External deviations: `outgoing` (sent) or `incoming` (received)."
    )
    external_party: str | None = strawberry.field(
        description="External deviations: the region or care provider."
    )
    external_date: date | None = strawberry.field(
        description="External deviations: the day it was sent or received."
    )
    external_answered_on: date | None = strawberry.field(
        description="External deviations: the day the receiving care giver answered."
    )
    investigation_outcome: str | None = strawberry.field(
        description="How a MAS/MAR or Lex Sarah investigation ended: `ongoing`, "
        "`no_deficiency`, `lex_sarah`, `staff_matter` or `lex_maria_reported`."
    )
    import_withdrawn_at: datetime | None = strawberry.field(
        description="When an admin withdrew this wrongly imported case (kept, not counted)."
    )
    actions: list[CaseAction] = strawberry.field(description="Actions taken on the case.")

    @classmethod
    def of(cls, record: CaseRecord) -> Case:
        risk, deadline = record.risk, record.deadline
        return cls(
            id=strawberry.ID(str(record.id)),
            reference_number=record.reference_number,
            kind=record.kind,
            law_area=record.law_area,
            regime=record.regime,
            category=record.category,
            event_time=record.event_time,
            reported_at=record.reported_at,
            org_unit_id=strawberry.ID(record.org_unit_id),
            channel=record.channel,
            description=record.description,
            immediate_actions=record.immediate_actions,
            state=record.state,
            assigned_to=record.assigned_to,
            mas_routed=record.mas_routed,
            risk=CaseRisk(
                probability=risk.probability,
                consequence=risk.consequence,
                score=risk.score,
                level=risk.level,
                level_label=risk.level_label,
            )
            if risk
            else None,
            deadline=CaseDeadline(
                milestone=deadline.milestone,
                due_date=deadline.due_date,
                met_at=deadline.met_at,
                overdue=deadline.overdue,
            )
            if deadline
            else None,
            received_at=record.received_at,
            answered_at=record.answered_at,
            days_to_answer=record.days_to_answer,
            closed_at=record.closed_at,
            external_direction=record.external_direction,
            external_party=record.external_party,
            external_date=record.external_date,
            external_answered_on=record.external_answered_on,
            investigation_outcome=record.investigation_outcome,
            import_withdrawn_at=record.import_withdrawn_at,
            actions=[CaseAction.of(action) for action in record.actions],
        )

    @strawberry.field(description="Transitions and field changes, oldest first. One call per case.")
    async def history(self, info: Info) -> list[CaseHistoryEntry] | None:
        records = await info.context.loaders.deviations.history.load(int(self.id))
        return [CaseHistoryEntry.of(record) for record in records]


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input(description="A new case. Personal data is not taken here (see the service).")
class CaseInput:
    kind: str = strawberry.field(
        description="`deviation`, `complaint`, `feedback` or `external_deviation`."
    )
    org_unit_id: strawberry.ID = strawberry.field(description="The org unit the case concerns.")
    description: str = strawberry.field(description="What happened, without personal data.")
    law_area: str | None = strawberry.field(
        default=strawberry.UNSET, description="Deviations: `HSL`, `SoL` or `LSS`."
    )
    category: str | None = strawberry.field(
        default=strawberry.UNSET, description="A category code valid in the event's year."
    )
    event_time: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When the event happened."
    )
    immediate_actions: str | None = strawberry.field(
        default=strawberry.UNSET, description="What was done at once."
    )
    channel: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="How it came in: `staff_report` (default), `web_form`, `phone`, `letter`, "
        "`email`, `in_person` or `patientnamnden`.",
    )
    reporter_type: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Who reports: `staff` (default), `citizen`, `relative`, `organisation` "
        "or `anonymous`.",
    )
    housing_type: str | None = strawberry.field(
        default=strawberry.UNSET, description="`sarskilt_boende` or `ordinart_boende`."
    )
    feedback_type: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Feedback only: `criticism`, `suggestion`, `praise` or `question`.",
    )


@strawberry.input(description="A step of the case workflow (the service's `GET /workflow`).")
class CaseTransitionInput:
    to: str = strawberry.field(description="The state to move to.")
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required to reject or withdraw."
    )
    assigned_to: str | None = strawberry.field(
        default=strawberry.UNSET, description="On `received`: the unit manager."
    )


@strawberry.input(description="An action to take on a case.")
class CaseActionInput:
    description: str = strawberry.field(description="What is to be done.")
    owner: str = strawberry.field(description="Who is responsible for it.")
    due_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="When it is to be done."
    )


CASE_FIELDS = field_names(CaseInput)
TRANSITION_FIELDS = field_names(CaseTransitionInput, path__case_id="caseId")
ACTION_FIELDS = field_names(CaseActionInput, path__case_id="caseId")


def _case_path(case_id: strawberry.ID, suffix: str) -> str:
    if not str(case_id).isdigit():
        raise bad_user_input("not a case id", "caseId")
    return f"/api/v1/cases/{case_id}/{suffix}"


@strawberry.type
class DeviationMutations:
    @strawberry.mutation(description="Register a case; it gets the year's next reference number.")
    async def register_case(
        self, info: Info, input: Annotated[CaseInput, strawberry.argument(description="The case.")]
    ) -> Case | None:
        data = await info.context.upstream.request(
            "POST",
            Service.DEVIATIONS,
            "/api/v1/cases",
            json=body_of(input),
            field_names=CASE_FIELDS,
        )
        return Case.of(parse(CaseRecord, Service.DEVIATIONS, data))

    @strawberry.mutation(
        description="Move a case through its workflow; the service checks the transition and "
        "the caller's role."
    )
    async def transition_case(
        self,
        info: Info,
        case_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        input: Annotated[CaseTransitionInput, strawberry.argument(description="The step.")],
    ) -> Case | None:
        data = await info.context.upstream.request(
            "POST",
            Service.DEVIATIONS,
            _case_path(case_id, "transitions"),
            json=body_of(input),
            field_names=TRANSITION_FIELDS,
        )
        return Case.of(parse(CaseRecord, Service.DEVIATIONS, data))

    @strawberry.mutation(description="Add an action to a case.")
    async def add_case_action(
        self,
        info: Info,
        case_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        input: Annotated[CaseActionInput, strawberry.argument(description="The action.")],
    ) -> CaseAction | None:
        data = await info.context.upstream.request(
            "POST",
            Service.DEVIATIONS,
            _case_path(case_id, "actions"),
            json=body_of(input),
            field_names=ACTION_FIELDS,
        )
        return CaseAction.of(parse(ActionRecord, Service.DEVIATIONS, data))
