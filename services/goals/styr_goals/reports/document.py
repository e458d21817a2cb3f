"""The committee report as a document: what the PDF and the DOCX both print, already in words.

Built by :mod:`styr_goals.reports.service` from the follow-up report; every text here is final
(Swedish, numbers formatted), so the two renderers only lay it out and cannot disagree on a
figure. Plain dataclasses: the PDF template reads them as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from styr_goals.reports.formatting import Marker


@dataclass(frozen=True)
class Chart:
    """An SVG chart and its text alternative (the figures it shows, in words)."""

    svg: str
    alt: str
    width: float  # points
    height: float


@dataclass(frozen=True)
class SeriesRow:
    label: str  # the segment, or "Totalt" for an unsegmented measure
    baseline: str
    target: str
    outcome: str
    outcome_period: str
    by_gender: str | None  # "Kvinnor 80 %, män 85 %" when the measure is split by gender
    status: Marker
    trend: Marker | None
    note: str | None = None  # e.g. a series break


@dataclass(frozen=True)
class MeasureBlock:
    code: str
    name: str
    unit: str  # "procent", "antal", ...
    rows: list[SeriesRow]
    chart: Chart | None


@dataclass(frozen=True)
class Assessment:
    heading: str  # "Bedömning helår 2024 (utfall)"
    answer: Marker
    colour: Marker | None  # the colour the committee chose, as a word too
    texts: list[tuple[str, str]]  # (label, text): the answer as written, comment, causes, ...


@dataclass(frozen=True)
class ActivityRow:
    title: str
    responsible: str
    due: str
    status: str
    progress: str


@dataclass(frozen=True)
class GoalSection:
    code: str
    title: str
    level_label: str
    context: list[str]  # the goals between the area and this one, e.g. "KF-mål KF24-01: …"
    fulfilled: Marker | None  # roll-up goals only
    assessment: Assessment | None
    forecast: Assessment | None  # only when a final assessment stands beside it
    measures: list[MeasureBlock]
    activity_summary: str
    activities: list[ActivityRow]


@dataclass(frozen=True)
class SummaryRow:
    area: str
    goals: str
    fulfilled: str
    share: str
    level: str


@dataclass(frozen=True)
class AreaSection:
    code: str
    title: str
    level_label: str
    fulfilment: str
    goals: list[GoalSection]


@dataclass(frozen=True)
class ReportDocument:
    title: str  # the document title (PDF/DOCX metadata and the cover)
    kind: str  # "Verksamhetsberättelse" or "Delårsrapport"
    municipality: str
    committee: str
    plan: str
    year: int
    period: str  # "Helår 2024"
    period_end: str
    created: str  # the date the document was made
    values_of: str | None  # when another unit's values are shown than the plan's
    goal_word: str  # "nämndmål": the roll-up level, lower case
    headline: str  # "13 av 17 nämndmål uppfyllda (76 %)"
    result_level: str
    summary: list[SummaryRow]
    total: SummaryRow
    scale: list[tuple[str, str]]  # ("70–100 %", "Mycket god måluppfyllelse")
    scale_text: str
    activities: list[tuple[str, str, str]]  # (status, count, share)
    activity_total: str
    reported_before: list[str]  # earlier publications of the same year
    legend: list[tuple[Marker, str]]
    areas: list[AreaSection]
    not_reported: list[str] = field(default_factory=list)
