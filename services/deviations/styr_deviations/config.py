"""Domain vocabularies and configurable rules: case kinds, states, the versioned category
code lists, the risk matrix and the deadlines.

Categories change between years (2022 dropped "omvårdnad" and added "vård, behandling och
provtagning" and "vårdrelaterade infektioner"), so each code carries the years it is valid;
a case is checked against the list of the year its event happened.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from styr_deviations.text import Code, ShortText
from styr_shared.schemas import StrictModel

LOCAL_TIME = ZoneInfo("Europe/Stockholm")
"""Deadlines and statistics count Swedish calendar days and months."""


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIME).date()


class CaseKind(StrEnum):
    DEVIATION = "deviation"  # avvikelse
    COMPLAINT = "complaint"  # klagomål
    FEEDBACK = "feedback"  # synpunkt (incl. praise)
    EXTERNAL_DEVIATION = "external_deviation"  # to/from the region or another provider


class LawArea(StrEnum):
    HSL = "HSL"
    SOL = "SoL"
    LSS = "LSS"


class Regime(StrEnum):
    """Which reporting regime governs the case."""

    STANDARD = "standard"
    LEX_MARIA = "lex_maria"
    LEX_SARAH = "lex_sarah"
    STAFF_MATTER = "staff_matter"  # personalärende, after consulting IVO


class Channel(StrEnum):
    STAFF_REPORT = "staff_report"
    WEB_FORM = "web_form"
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    IN_PERSON = "in_person"
    PATIENTNAMNDEN = "patientnamnden"
    IVO = "ivo"
    REGION = "region"
    OTHER_PROVIDER = "other_provider"
    MIGRATION = "migration"


class ReporterType(StrEnum):
    STAFF = "staff"
    CITIZEN = "citizen"
    RELATIVE = "relative"
    ORGANISATION = "organisation"
    ANONYMOUS = "anonymous"


class FeedbackType(StrEnum):
    CRITICISM = "criticism"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    QUESTION = "question"


class HousingType(StrEnum):
    SARSKILT_BOENDE = "sarskilt_boende"
    ORDINART_BOENDE = "ordinart_boende"


class ExternalDirection(StrEnum):
    """Which way an external deviation went between care givers."""

    INCOMING = "incoming"  # received: another provider reports a deviation to us
    OUTGOING = "outgoing"  # sent: we report one to the region or another provider


class InvestigationOutcome(StrEnum):
    """How a MAS/MAR or Lex Sarah investigation ended (``ongoing`` while it runs)."""

    ONGOING = "ongoing"
    NO_DEFICIENCY = "no_deficiency"  # ingen brist
    LEX_SARAH = "lex_sarah"  # handled as Lex Sarah
    STAFF_MATTER = "staff_matter"  # personalärende
    LEX_MARIA_REPORTED = "lex_maria_reported"  # anmäld enligt Lex Maria


class DateBasis(StrEnum):
    """Which date puts a case in a year and month of the statistics."""

    REGISTRATION = "registration"  # reported_at
    EVENT = "event"  # event_time, or reported_at where the event time is unknown


class CaseState(StrEnum):
    REGISTERED = "registered"
    RECEIVED = "received"
    ASSESSED = "assessed"
    INVESTIGATING = "investigating"
    ACTIONS = "actions"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


TERMINAL_STATES = frozenset({CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN})


class LexSarahStandpoint(StrEnum):
    NONE = "none"
    RISK = "risk"  # risk för missförhållande
    MISCONDUCT = "misconduct"  # missförhållande
    RISK_OF_SERIOUS = "risk_of_serious"  # risk för allvarligt missförhållande
    SERIOUS = "serious"  # allvarligt missförhållande


REPORTABLE_STANDPOINTS = frozenset({LexSarahStandpoint.RISK_OF_SERIOUS, LexSarahStandpoint.SERIOUS})


class CategoryGroup(StrEnum):
    DEVIATION = "deviation"  # deviations and external deviations
    FEEDBACK = "feedback"  # complaints and feedback


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    group: CategoryGroup
    valid_from_year: int | None = None
    valid_to_year: int | None = None

    def valid_in(self, year: int) -> bool:
        return (self.valid_from_year is None or year >= self.valid_from_year) and (
            self.valid_to_year is None or year <= self.valid_to_year
        )


_D, _F = CategoryGroup.DEVIATION, CategoryGroup.FEEDBACK
CATEGORIES: tuple[Category, ...] = (
    Category("fall", "Fall", _D),
    Category("lakemedel", "Läkemedel", _D),
    Category("medicinteknisk_produkt", "Medicinteknisk produkt", _D),
    Category("omvardnad", "Omvårdnad", _D, valid_to_year=2021),
    Category("vard_behandling_provtagning", "Vård, behandling och provtagning", _D, 2022),
    Category("vardrelaterad_infektion", "Vårdrelaterade infektioner", _D, 2022),
    Category("informationsoverforing", "Informationsöverföring", _D),
    Category("dokumentation", "Dokumentation", _D),
    Category("hot_och_vald", "Hot och våld", _D),
    Category("insats_ej_utford", "Insats ej utförd", _D),
    Category("bemotande", "Bemötande", _D),
    Category("ovrigt", "Övrigt", _D),
    Category("hemtjanst", "Hemtjänst", _F),
    Category("sarskilt_boende", "Särskilt boende", _F),
    Category("korttidsboende", "Korttidsboende", _F),
    Category("demensvard", "Demensvård", _F),
    Category("fakturering", "Fakturering", _F),
    Category("trafiksakerhet", "Trafiksäkerhet", _F),
    Category("in_och_utskrivning", "In- och utskrivning", _F),
    Category("bemotande_synpunkt", "Bemötande", _F),
    Category("ovrigt_synpunkt", "Övrigt", _F),
)


def category_group(kind: CaseKind) -> CategoryGroup:
    if kind in (CaseKind.DEVIATION, CaseKind.EXTERNAL_DEVIATION):
        return CategoryGroup.DEVIATION
    return CategoryGroup.FEEDBACK


def categories_for(year: int, group: CategoryGroup | None = None) -> list[Category]:
    """The national default list of ``year`` (a municipality's own list: ``categories``)."""
    return [c for c in CATEGORIES if c.valid_in(year) and (group is None or c.group is group)]


class ScaleStep(StrictModel):
    value: int = Field(ge=1, le=10)
    label: ShortText


class RiskLevel(StrictModel):
    key: Code
    label: ShortText
    min_score: int = Field(ge=1, description="Lowest probability × consequence at this level.")
    route_to_mas: bool = Field(False, description="Health-care cases at this level go to MAS.")


class RiskMatrix(StrictModel):
    """Probability × consequence → risk level; scales and labels are the municipality's."""

    probability: list[ScaleStep] = Field(min_length=1, max_length=10)
    consequence: list[ScaleStep] = Field(min_length=1, max_length=10)
    levels: list[RiskLevel] = Field(
        min_length=1, max_length=10, description="Ordered by `min_score`, lowest first."
    )
    mas_min_consequence: int | None = Field(
        3,
        ge=1,
        le=10,
        description="Health-care cases with at least this consequence (e.g. Allvarlig, "
        "Katastrofal) go to MAS whatever the probability; null turns this off.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        scores = [lv.min_score for lv in self.levels]
        if sorted(set(scores)) != scores:
            raise ValueError("levels must be ordered by min_score, each higher than the last")
        if scores[0] != 1:
            raise ValueError("the first level must start at score 1")
        if len({lv.key for lv in self.levels}) != len(self.levels):
            raise ValueError("each level needs a key of its own")
        for name in ("probability", "consequence"):
            values = [step.value for step in getattr(self, name)]
            if len(set(values)) != len(values):
                raise ValueError(f"the {name} scale repeats a value")
        consequences = {step.value for step in self.consequence}
        if self.mas_min_consequence is not None and self.mas_min_consequence not in consequences:
            raise ValueError("mas_min_consequence must be a step of the consequence scale")
        return self

    def label(self, scale: Literal["probability", "consequence"], value: int) -> str | None:
        steps = self.probability if scale == "probability" else self.consequence
        return next((s.label for s in steps if s.value == value), None)

    def level_for(self, probability: int, consequence: int) -> RiskLevel:
        score = probability * consequence
        return [lv for lv in self.levels if lv.min_score <= score][-1]


DEFAULT_RISK_MATRIX = RiskMatrix(
    probability=[
        ScaleStep(value=1, label="Mycket liten"),
        ScaleStep(value=2, label="Liten"),
        ScaleStep(value=3, label="Stor"),
        ScaleStep(value=4, label="Mycket stor"),
    ],
    consequence=[
        ScaleStep(value=1, label="Lindrig"),
        ScaleStep(value=2, label="Kännbar"),
        ScaleStep(value=3, label="Allvarlig"),
        ScaleStep(value=4, label="Katastrofal"),
    ],
    levels=[
        RiskLevel(key="low", label="Låg risk", min_score=1),
        RiskLevel(key="moderate", label="Måttlig risk", min_score=4),
        RiskLevel(key="high", label="Hög risk", min_score=8, route_to_mas=True),
        RiskLevel(key="very_high", label="Mycket hög risk", min_score=12, route_to_mas=True),
    ],
)


class DeadlineMilestone(StrEnum):
    RECEIVED = "received"  # the unit manager has received the case
    ANSWERED = "answered"  # the sender has been answered


class DeadlineRule(StrictModel):
    milestone: DeadlineMilestone
    days: int = Field(0, ge=0, le=3650)
    months: int = Field(0, ge=0, le=120)

    def due(self, registered: date) -> date:
        month_index = registered.month - 1 + self.months
        year, month = registered.year + month_index // 12, month_index % 12 + 1
        day = min(registered.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)


DEFAULT_DEADLINES: dict[str, DeadlineRule] = {
    # The unit manager handles a staff report the same day.
    CaseKind.DEVIATION.value: DeadlineRule(milestone=DeadlineMilestone.RECEIVED, days=0),
    CaseKind.EXTERNAL_DEVIATION.value: DeadlineRule(milestone=DeadlineMilestone.RECEIVED, days=0),
    # SOSFS 2011:9 and Oxelösund's routine: complaints within a month, feedback in 3 weeks.
    CaseKind.COMPLAINT.value: DeadlineRule(milestone=DeadlineMilestone.ANSWERED, months=1),
    CaseKind.FEEDBACK.value: DeadlineRule(milestone=DeadlineMilestone.ANSWERED, days=21),
}
