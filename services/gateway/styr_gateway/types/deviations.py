"""Deviation and complaint statistics of an org subtree (deviations service).

The service decides what the caller may see: it limits counts to the caller's org scope and
hides small counts (``<5``) from roles without case handling. A hidden count has ``count`` null
and ``text`` as the service shows it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import bad_user_input
from styr_gateway.inputs import body_of, field_names
from styr_gateway.loaders import parse
from styr_gateway.records import (
    ActionRecord,
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
    kind: str
    cases: Count
    mean_days: float | None
    median_days: float | None
    max_days: int | None
    within_deadline: Count | None

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


@strawberry.type(description="Deviations and complaints of an org unit and everything below it.")
class DeviationStatistics:
    suppressed: bool = strawberry.field(description="Small counts are hidden for your role.")
    withheld: list[WithheldBreakdown]
    total: Count
    overdue: Count = strawberry.field(description="Open cases past their deadline today.")
    by_kind: list[CountGroup]
    by_law_area: list[CountGroup]
    by_category_month: list[CountGroup]
    by_org_unit: list[CountGroup] = strawberry.field(description="Per unit registered on.")
    overdue_by_kind: list[CountGroup]
    time_to_answer: list[CaseDuration]
    time_to_close: list[CaseDuration]

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
        )


@strawberry.type(description="An action taken on a case, with the follow-up of its effect.")
class CaseAction:
    id: strawberry.ID
    description: str
    owner: str
    due_date: date | None
    status: str = strawberry.field(description="`planned`, `in_progress`, `done`, `cancelled`.")
    effect_follow_up: str | None
    effect_followed_up_at: datetime | None

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
    milestone: str
    due_date: date
    met_at: datetime | None
    overdue: bool


@strawberry.type(description="Probability × consequence and the resulting level.")
class CaseRisk:
    probability: int
    consequence: int
    score: int
    level: str
    level_label: str


@strawberry.type(description="One entry of a case's append-only history.")
class CaseHistoryEntry:
    at: datetime
    actor: str
    event: str = strawberry.field(description="A transition or a field change.")
    field: str | None
    before: JSON | None
    after: JSON | None
    reason: str | None

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
    id: strawberry.ID
    reference_number: str
    kind: str = strawberry.field(description="`deviation`, `complaint`, `feedback`, …")
    law_area: str | None
    regime: str
    category: str | None
    event_time: datetime | None
    reported_at: datetime
    org_unit_id: strawberry.ID
    channel: str
    description: str
    immediate_actions: str | None
    state: str = strawberry.field(description="Where the case stands in the workflow.")
    assigned_to: str | None
    mas_routed: bool
    risk: CaseRisk | None
    deadline: CaseDeadline | None
    received_at: datetime | None
    answered_at: datetime | None
    days_to_answer: int | None
    closed_at: datetime | None
    actions: list[CaseAction]

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
    org_unit_id: strawberry.ID
    description: str
    law_area: str | None = strawberry.field(
        default=strawberry.UNSET, description="Deviations: `HSL`, `SoL` or `LSS`."
    )
    category: str | None = strawberry.UNSET
    event_time: datetime | None = strawberry.UNSET
    immediate_actions: str | None = strawberry.UNSET
    channel: str | None = strawberry.UNSET
    reporter_type: str | None = strawberry.UNSET
    housing_type: str | None = strawberry.UNSET
    feedback_type: str | None = strawberry.UNSET


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
    description: str
    owner: str
    due_date: date | None = strawberry.UNSET


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
    async def register_case(self, info: Info, input: CaseInput) -> Case | None:
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
        self, info: Info, case_id: strawberry.ID, input: CaseTransitionInput
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
        self, info: Info, case_id: strawberry.ID, input: CaseActionInput
    ) -> CaseAction | None:
        data = await info.context.upstream.request(
            "POST",
            Service.DEVIATIONS,
            _case_path(case_id, "actions"),
            json=body_of(input),
            field_names=ACTION_FIELDS,
        )
        return CaseAction.of(parse(ActionRecord, Service.DEVIATIONS, data))
