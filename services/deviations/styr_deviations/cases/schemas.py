"""API contracts for cases, their workflow, risk, actions, Lex Maria and Lex Sarah."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from styr_deviations.config import (
    CaseKind,
    CaseState,
    Channel,
    DeadlineMilestone,
    ExternalDirection,
    FeedbackType,
    HousingType,
    InvestigationOutcome,
    LawArea,
    LexSarahStandpoint,
    Regime,
    ReporterType,
)
from styr_deviations.personaldata.personnummer import PersonnummerError, normalise
from styr_deviations.text import Code, Day, LongText, Moment, ShortText
from styr_shared.schemas import ResponseModel, StrictModel

Email = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]+$")
]
Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^\+?[0-9 ()-]{5,30}$")]


def _valid_personnummer(value: str) -> str:
    try:
        return normalise(value)
    except PersonnummerError as exc:
        # The message never repeats the number itself.
        raise ValueError(str(exc)) from None


Personnummer = Annotated[str, StringConstraints(max_length=20), AfterValidator(_valid_personnummer)]


class PersonIn(StrictModel):
    """The person concerned (patient or client). Stored encrypted."""

    name: ShortText | None = None
    personnummer: Personnummer | None = Field(
        None,
        description="Personnummer or samordningsnummer (YYYYMMDD-NNNC, YYMMDD-NNNC, "
        "YYMMDD+NNNC); checked for date and check digit, stored as 12 digits.",
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.name is None and self.personnummer is None:
            raise ValueError("give a name, a personnummer or both")
        return self


class ContactIn(StrictModel):
    """A reporter's contact details (citizen or relative). Stored encrypted."""

    name: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None


EXTERNAL_FIELDS = ("external_direction", "external_party", "external_date", "external_answered_on")


def external_answer_rule(sent: date | None, answered: date | None) -> None:
    if sent is not None and answered is not None and answered < sent:
        raise ValueError("external_answered_on must not be before external_date")


class CaseCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "deviation",
                    "law_area": "SoL",
                    "category": "fall",
                    "housing_type": "sarskilt_boende",
                    "event_time": "2025-03-14T21:40:00+01:00",
                    "org_unit_id": "oxelosund-sabo",
                    "description": "Brukaren hittades på golvet i sitt rum vid kvällsrundan; "
                    "inga synliga skador.",
                    "immediate_actions": "Sjuksköterska tillkallad, anhörig underrättad.",
                },
                {
                    "kind": "feedback",
                    "feedback_type": "praise",
                    "category": "hemtjanst",
                    "org_unit_id": "oxelosund-hemtjanst",
                    "channel": "web_form",
                    "reporter_type": "relative",
                    "description": "Tack till hemtjänstgruppen för tålamodet med mamma i vinter.",
                },
            ]
        }
    )

    kind: CaseKind
    law_area: LawArea | None = Field(
        None, description="Required for deviations: HSL (health care), SoL or LSS."
    )
    regime: Regime = Field(
        Regime.STANDARD,
        description="`lex_sarah` for a staff report of misconduct (SoL/LSS); Lex Maria and "
        "staff matters are reached by MAS assessment or reclassification.",
    )
    category: Code | None = Field(
        None,
        description="A code of the unit's municipality valid in the event's year "
        "(`GET /municipalities/{municipality_id}/categories?year=`).",
    )
    feedback_type: FeedbackType | None = None
    housing_type: HousingType | None = None
    external_direction: ExternalDirection | None = None
    external_party: ShortText | None = Field(
        None, description="The region or care provider of an external deviation."
    )
    external_date: Day | None = Field(
        None, description="External deviations: the day it was sent (outgoing) or received."
    )
    external_answered_on: Day | None = Field(
        None, description="External deviations: the day the receiving care giver answered."
    )
    event_time: Moment | None = Field(
        None, description="When the event happened (the statistics' event date basis)."
    )
    reported_at: Moment | None = Field(
        None, description="Registration; default: now. Not in the future."
    )
    org_unit_id: Code
    channel: Channel = Channel.STAFF_REPORT
    reporter_type: ReporterType = ReporterType.STAFF
    reporter: ContactIn | None = None
    description: LongText
    immediate_actions: LongText | None = None
    person: PersonIn | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> Self:
        deviation_like = self.kind in (CaseKind.DEVIATION, CaseKind.EXTERNAL_DEVIATION)
        if deviation_like and self.law_area is None:
            raise ValueError("law_area is required for deviations")
        if self.kind is CaseKind.EXTERNAL_DEVIATION and self.external_direction is None:
            raise ValueError("external_direction is required for external deviations")
        if self.kind is not CaseKind.EXTERNAL_DEVIATION and any(
            getattr(self, name) is not None for name in EXTERNAL_FIELDS
        ):
            raise ValueError(
                "external_direction/party/date/answered_on only apply to external deviations"
            )
        external_answer_rule(self.external_date, self.external_answered_on)
        if self.kind is not CaseKind.FEEDBACK and self.feedback_type is not None:
            raise ValueError("feedback_type only applies to feedback")
        if self.regime not in (Regime.STANDARD, Regime.LEX_SARAH):
            raise ValueError("a case is registered as standard or lex_sarah")
        if self.regime is Regime.LEX_SARAH and self.law_area not in (LawArea.SOL, LawArea.LSS):
            raise ValueError("Lex Sarah applies to SoL and LSS")
        if self.reporter_type is ReporterType.ANONYMOUS and self.reporter is not None:
            raise ValueError("an anonymous report cannot carry reporter contact details")
        for name in ("event_time", "reported_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a timezone (e.g. 2025-03-01T10:00:00+01:00)")
        return self


class CaseUpdate(StrictModel):
    """A correction of case fields; each changed field is recorded in the history."""

    category: Code | None = None
    feedback_type: FeedbackType | None = None
    housing_type: HousingType | None = None
    channel: Channel | None = Field(
        None,
        description="How it came in (`web_form` is the e-service, `patientnamnden` the "
        "patient board).",
    )
    external_direction: ExternalDirection | None = Field(
        None, description="External deviations: `outgoing` (sent) or `incoming` (received)."
    )
    external_party: ShortText | None = None
    external_date: Day | None = None
    external_answered_on: Day | None = None
    investigation_outcome: InvestigationOutcome | None = Field(
        None,
        description="How the MAS/MAR or Lex Sarah investigation ended; set by MAS/MAR, the Lex "
        "Sarah investigator or an admin.",
    )
    event_time: Moment | None = None
    org_unit_id: Code | None = None
    description: LongText | None = None
    immediate_actions: LongText | None = None
    person: PersonIn | None = None
    reporter: ContactIn | None = None

    @field_validator("event_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a timezone")
        return value


class WithdrawImportIn(StrictModel):
    reason: LongText = Field(description="Why the import was wrong (kept in the history).")


class TransitionIn(StrictModel):
    to: CaseState
    reason: LongText | None = Field(None, description="Required to reject or withdraw.")
    assigned_to: ShortText | None = Field(
        None, description="On `received`: the unit manager (default: the caller)."
    )


class RiskIn(StrictModel):
    probability: int = Field(ge=1, le=10)
    consequence: int = Field(ge=1, le=10)


class ActionCreate(StrictModel):
    description: LongText
    owner: ShortText
    due_date: Day | None = None


class ActionUpdate(StrictModel):
    description: LongText | None = None
    owner: ShortText | None = None
    due_date: Day | None = None
    status: (
        Annotated[str, StringConstraints(pattern=r"^(planned|in_progress|done|cancelled)$")] | None
    ) = None


class FollowUpIn(StrictModel):
    effect: LongText = Field(description="What the action achieved (uppföljning av effekt).")


class AnswerIn(StrictModel):
    summary: LongText
    answered_at: Moment | None = Field(None, description="Default: now.")


class LexMariaIn(StrictModel):
    mas_assessment: LongText | None = None
    event_analysis: LongText | None = Field(None, description="Händelseanalys.")
    report_to_ivo: bool | None = Field(None, description="The decision whether to report.")
    decision_date: Day | None = None
    ivo_report_date: Day | None = None
    ivo_case_number: ShortText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ivo_report_date is not None and self.report_to_ivo is not True:
            raise ValueError("ivo_report_date needs report_to_ivo = true")
        if self.ivo_case_number is not None and self.ivo_report_date is None:
            raise ValueError("ivo_case_number needs ivo_report_date")
        return self


class LexSarahIn(StrictModel):
    initial_assessment: LongText | None = None
    investigation: LongText | None = None
    standpoint: LexSarahStandpoint | None = None
    ivo_report_date: Day | None = None
    ivo_case_number: ShortText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ivo_report_date is not None and self.standpoint not in (
            LexSarahStandpoint.RISK_OF_SERIOUS,
            LexSarahStandpoint.SERIOUS,
        ):
            raise ValueError("only risk_of_serious or serious standpoints are reported to IVO")
        if self.ivo_case_number is not None and self.ivo_report_date is None:
            raise ValueError("ivo_case_number needs ivo_report_date")
        return self


class ReclassifyIn(StrictModel):
    regime: Regime
    law_area: LawArea | None = Field(
        None, description="New law area (HSL → SoL/LSS for Lex Sarah)."
    )
    reason: LongText
    ivo_consulted_on: Day | None = Field(
        None, description="Required for `staff_matter`: when IVO was consulted."
    )


class RaiseDeviationIn(StrictModel):
    """A complaint or feedback that reveals a deviation: register the deviation too."""

    law_area: LawArea
    category: Code | None = None
    description: LongText | None = Field(None, description="Default: the complaint's text.")
    reason: LongText


class ActionRead(ResponseModel):
    id: int
    description: str
    owner: str
    due_date: date | None
    status: str
    effect_follow_up: str | None
    effect_followed_up_at: datetime | None
    effect_followed_up_by: str | None


class RiskRead(StrictModel):
    probability: int
    probability_label: str | None
    consequence: int
    consequence_label: str | None
    score: int
    level: str
    level_label: str


class LexMariaRead(ResponseModel):
    mas_assessment: str | None
    event_analysis: str | None
    report_to_ivo: bool | None
    decision_date: date | None
    ivo_report_date: date | None
    ivo_case_number: str | None


class LexSarahRead(ResponseModel):
    initial_assessment: str | None
    investigation: str | None
    standpoint: str | None
    ivo_report_date: date | None
    ivo_case_number: str | None


class DeadlineRead(StrictModel):
    milestone: DeadlineMilestone
    due_date: date
    met_at: datetime | None
    overdue: bool


class CaseRead(ResponseModel):
    id: int
    # Always set by this service; the default only keeps older producers of this model (the
    # gateway's test stand-in builds CaseRead without it) valid until they add it.
    municipality_id: str | None = Field(
        None, description="The municipality (root org unit) of the case; always set."
    )
    reference_number: str = Field(
        description="Unique within the municipality (its series and format)."
    )
    kind: CaseKind
    law_area: LawArea | None
    regime: Regime
    category: str | None
    feedback_type: str | None
    housing_type: str | None
    external_direction: str | None = Field(
        description="External deviations: `outgoing` (sent) or `incoming` (received)."
    )
    external_party: str | None
    external_date: date | None = None
    external_answered_on: date | None = None
    investigation_outcome: InvestigationOutcome | None = None
    event_time: datetime | None
    reported_at: datetime
    org_unit_id: str
    channel: str
    reporter_type: str
    reported_by: str | None
    description: str
    immediate_actions: str | None
    state: CaseState
    assigned_to: str | None
    mas_routed: bool = Field(description="The risk level sent this health-care case to MAS.")
    mas_took_over: bool
    risk: RiskRead | None
    lex_maria: LexMariaRead | None
    lex_sarah: LexSarahRead | None
    deadline: DeadlineRead | None
    received_at: datetime | None
    answered_at: datetime | None
    answer_summary: str | None
    days_to_answer: int | None = Field(description="Calendar days from registration to answer.")
    closed_at: datetime | None
    has_personal_data: bool = Field(
        description="Personal data is never in this view; read it from `/personal-data`."
    )
    external_id: str | None
    legacy_reference: str | None
    import_withdrawn_at: datetime | None = Field(
        None,
        description="Set when an admin withdrew this wrongly imported case: it is kept, "
        "unchangeable and out of the statistics.",
    )
    related_case_id: int | None = Field(
        description="For a deviation raised from a complaint: the complaint's id."
    )
    actions: list[ActionRead] = Field(default_factory=list)


class PersonRead(StrictModel):
    name: str | None
    personnummer: str | None
    coordination_number: bool


class ContactRead(StrictModel):
    name: str | None
    email: str | None
    phone: str | None


class NumberInText(StrictModel):
    field: str = Field(description="The text it was typed into, e.g. `description`.")
    personnummer: str
    coordination_number: bool


class PersonalDataRead(StrictModel):
    case_id: int
    reference_number: str
    person: PersonRead | None
    reporter: ContactRead | None
    numbers_in_text: list[NumberInText] = Field(
        default_factory=list,
        description="Personnummer typed into the case's texts: stored here only, the texts "
        "show `[personnummer]` in their place.",
    )


class HistoryRead(ResponseModel):
    id: int
    at: datetime
    actor: str
    event: str
    field: str | None
    before: Any
    after: Any
    reason: str | None
