"""Domain vocabularies and configurable rules: case kinds, states, the versioned category
code lists, the risk matrix and the deadlines.

Categories change between years (2022 dropped "omvårdnad" and added "vård, behandling och
provtagning" and "vårdrelaterade infektioner"), so each code carries the years it is valid;
a case is checked against the list of the year its event happened.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

LOCAL_TIME = ZoneInfo("Europe/Stockholm")
"""Deadlines and statistics count Swedish calendar days and months."""


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
    INCOMING = "incoming"  # another provider reports a deviation to us
    OUTGOING = "outgoing"  # we report one to the region or another provider


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
    return [c for c in CATEGORIES if c.valid_in(year) and (group is None or c.group is group)]


def find_category(code: str, year: int, kind: CaseKind) -> Category | None:
    group = category_group(kind)
    return next((c for c in categories_for(year, group) if c.code == code), None)


class ScaleStep(BaseModel):
    value: int = Field(ge=1, le=10)
    label: str


class RiskLevel(BaseModel):
    key: str
    label: str
    min_score: int = Field(ge=1, description="Lowest probability × consequence at this level.")
    route_to_mas: bool = Field(False, description="Health-care cases at this level go to MAS.")


class RiskMatrix(BaseModel):
    """Probability × consequence → risk level; scales and labels are the municipality's."""

    probability: list[ScaleStep]
    consequence: list[ScaleStep]
    levels: list[RiskLevel] = Field(description="Ordered by `min_score`, lowest first.")
    mas_min_consequence: int | None = Field(
        3,
        description="Health-care cases with at least this consequence (e.g. Allvarlig, "
        "Katastrofal) go to MAS whatever the probability; null turns this off.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.levels or sorted(lv.min_score for lv in self.levels) != [
            lv.min_score for lv in self.levels
        ]:
            raise ValueError("levels must be non-empty and ordered by min_score")
        if self.levels[0].min_score != 1:
            raise ValueError("the first level must start at score 1")
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


class DeadlineRule(BaseModel):
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
