"""The committee document (delårsrapport, verksamhetsberättelse) from the follow-up report.

:func:`build` turns the computed follow-up (:func:`styr_goals.followup.service.follow_up`, the
same figures as the JSON report) into a :class:`ReportDocument`, reading only what the JSON
report leaves out: the names of the municipality and committee, each measure's values and
targets over the plan's years (for the charts), the values per gender, and the activities
themselves. :func:`render` lays it out as PDF or DOCX in a worker thread, so a render never
holds up the event loop; at most two renders run at once (they are CPU work).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import anyio
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals.followup.models import Activity
from styr_goals.followup.schemas import (
    AssessmentKind,
    AssessmentRead,
    Completion,
    FollowUpReport,
    Fulfilment,
    GoalFollowUp,
    MeasureFollowUp,
)
from styr_goals.measures.models import MeasureTarget, MeasureValue
from styr_goals.measures.schemas import UnitKind
from styr_goals.measures.status import Status
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans import service as plans
from styr_goals.plans.models import Plan
from styr_goals.plans.schemas import PeriodKind, SteeringConfigDocument
from styr_goals.reports import charts
from styr_goals.reports import formatting as fmt
from styr_goals.reports.document import (
    ActivityRow,
    AreaSection,
    Assessment,
    GoalSection,
    MeasureBlock,
    ReportDocument,
    SeriesRow,
    SummaryRow,
)
from styr_goals.reports.formatting import Marker, Tone

LOCAL_TIME = ZoneInfo("Europe/Stockholm")
_RENDERS = anyio.CapacityLimiter(2)


class DocumentFormat(StrEnum):
    PDF = "pdf"
    DOCX = "docx"

    @property
    def media_type(self) -> str:
        if self is DocumentFormat.PDF:
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def render(session: AsyncSession, report: FollowUpReport, format: DocumentFormat) -> bytes:
    document = await build(session, report)
    # Imported here: the renderers load Typst and python-docx, which a service that never
    # renders need not pay for at start-up.
    if format is DocumentFormat.PDF:
        from styr_goals.reports import pdf

        return await anyio.to_thread.run_sync(pdf.render, document, limiter=_RENDERS)
    from styr_goals.reports import word

    return await anyio.to_thread.run_sync(word.render, document, limiter=_RENDERS)


# --- what the JSON report leaves out -----------------------------------------------------


class _Extras(NamedTuple):
    # (measure id, segment) → year → the year's latest total value (gender T)
    by_year: dict[tuple[str, str], dict[int, Decimal]]
    # (measure id, segment) → gender → the report year's latest value
    by_gender: dict[tuple[str, str], dict[str, Decimal]]
    # (measure id, segment) → year → (operator, value)
    targets: dict[tuple[str, str], dict[int, tuple[str, Decimal]]]
    activities: dict[str, list[Activity]]


def _walk(goals: list[GoalFollowUp]) -> Iterator[GoalFollowUp]:
    for goal in goals:
        yield goal
        yield from _walk(goal.children)


async def _extras(session: AsyncSession, report: FollowUpReport, plan: Plan) -> _Extras:
    goals = list(_walk(report.goals))
    measure_ids = sorted({m.id for goal in goals for m in goal.measures})
    # A measure with a data unit shows that unit's values (see the follow-up).
    unit_of = {
        m.id: m.values_org_unit_id or report.values_org_unit_id
        for goal in goals
        for m in goal.measures
    }
    first_year = min(plan.start_year - 1, report.year)
    values = (
        await session.exec(
            select(MeasureValue)
            .where(
                col(MeasureValue.measure_id).in_(measure_ids),
                col(MeasureValue.org_unit_id).in_(set(unit_of.values())),
                col(MeasureValue.year) >= first_year,
                # Nothing after the period: a report on 2024 never shows 2025's figures.
                col(MeasureValue.period_end) <= report.period_end,
            )
            .order_by(col(MeasureValue.period_end), col(MeasureValue.id))
        )
    ).all()
    by_year: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(dict)
    by_gender: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for row in values:  # in period order: the latest of a year wins
        if row.value is None or row.org_unit_id != unit_of[row.measure_id]:
            continue  # a qualitative value has no point on a chart
        key = (row.measure_id, row.segment)
        if row.gender == "T":
            by_year[key][row.year] = row.value
        elif row.year == report.year:
            by_gender[key][row.gender] = row.value
    targets: dict[tuple[str, str], dict[int, tuple[str, Decimal]]] = defaultdict(dict)
    target_rows = await session.exec(
        select(MeasureTarget).where(col(MeasureTarget.measure_id).in_(measure_ids))
    )
    for target in target_rows.all():
        if target.value is not None and plan.start_year <= target.year <= plan.end_year:
            targets[(target.measure_id, target.segment)][target.year] = (
                target.operator,
                target.value,
            )
    units = (
        await orgunits.descendants(session, report.values_org_unit_id)
        if report.include_below
        else [report.values_org_unit_id]
    )
    activities: dict[str, list[Activity]] = defaultdict(list)
    rows = await session.exec(
        select(Activity)
        .where(
            col(Activity.goal_id).in_([goal.id for goal in goals]),
            col(Activity.year) == report.year,
            col(Activity.org_unit_id).in_(units),
        )
        .order_by(col(Activity.id))
    )
    for activity in rows.all():
        activities[activity.goal_id].append(activity)
    return _Extras(by_year, by_gender, targets, activities)


# --- building the document ---------------------------------------------------------------


def _fulfilment_text(fulfilment: Fulfilment, goal_word: str) -> str:
    if fulfilment.goals == 0 or fulfilment.percent is None:
        return f"Inga {goal_word} följs upp i perioden."
    return (
        f"{fulfilment.fulfilled} av {fulfilment.goals} {goal_word} uppfyllda "
        f"({fmt.percent(fulfilment.percent)}): {fulfilment.result_level}."
    )


def _summary_row(area: str, fulfilment: Fulfilment) -> SummaryRow:
    return SummaryRow(
        area=area,
        goals=str(fulfilment.goals),
        fulfilled=str(fulfilment.fulfilled),
        share=fmt.percent(fulfilment.percent) if fulfilment.percent is not None else "–",
        level=fulfilment.result_level or "–",
    )


def _scale(config: SteeringConfigDocument) -> list[tuple[str, str]]:
    levels = sorted(config.result_levels, key=lambda level: level.min_percent, reverse=True)
    rows, upper = [], 100
    for level in levels:
        span = f"{level.min_percent}–{upper}" if level.min_percent < upper else f"{upper}"
        rows.append((f"{span}{fmt.NBSP}%", level.label))
        upper = level.min_percent - 1
    return rows


def _activity_text(completion: Completion) -> str:
    if completion.total == 0:
        return "Inga aktiviteter."
    counts = ", ".join(
        f"{s.label.lower()} {s.count} st ({fmt.percent(s.percent)})"
        for s in completion.by_status
        if s.count
    )
    return f"{fmt.count(completion.total, 'aktivitet', 'aktiviteter')}: {counts}."


def _assessment(found: AssessmentRead, heading: str) -> Assessment:
    colour = None
    if found.colour is not None:
        word, tone = fmt.COLOURS[found.colour.value]
        colour = Marker("●", word, tone)
    texts = [
        ("Svar", found.answer_text),
        ("Kommentar", found.comment),
        ("Orsaker", found.causes),
        ("Konsekvenser", found.consequences),
        ("Vidtagna åtgärder", found.actions_taken),
        ("Planerade åtgärder", found.actions_planned),
    ]
    return Assessment(
        heading=heading,
        answer=fmt.ANSWERS[found.answer.value],
        colour=colour,
        texts=[(label, text) for label, text in texts if text],
    )


def _series_years(
    plan: Plan,
    report: FollowUpReport,
    values: list[dict[int, Decimal]],
    targets: list[dict[int, tuple[str, Decimal]]],
) -> list[int]:
    """The baseline year and the plan's years that have a target, up to the report's year
    at least; leading years with nothing to show are left out."""
    last = max([report.year, *(year for found in targets for year in found)])
    years = list(range(min(plan.start_year - 1, report.year), last + 1))
    shown = {year for found in values for year in found}
    shown |= {year for found in targets for year in found}
    while years and years[0] not in shown:
        years.pop(0)
    return years


def _measure(
    measure: MeasureFollowUp, report: FollowUpReport, plan: Plan, extras: _Extras
) -> MeasureBlock:
    name = measure.display_name or measure.name
    rows: list[SeriesRow] = []
    panels: list[charts.Panel] = []
    keys = [(measure.id, series.segment or "") for series in measure.series]
    values = [extras.by_year.get(key, {}) for key in keys]
    targets = [extras.targets.get(key, {}) for key in keys]
    years = _series_years(plan, report, values, targets)
    for series, key, by_year, by_target in zip(measure.series, keys, values, targets, strict=True):
        genders = extras.by_gender.get(key, {})
        by_gender = None
        if genders:
            shown = [
                f"{word} {fmt.value(genders[code], measure.unit_kind, measure.decimals)}"
                for code, word in (("K", "kvinnor"), ("M", "män"))
                if code in genders
            ]
            by_gender = ", ".join(shown).capitalize()
        baseline = series.baseline
        if baseline.is_new:
            baseline_text = "Nytt mått"
        elif baseline.value is not None:
            baseline_text = fmt.value(baseline.value, measure.unit_kind, measure.decimals)
            if baseline.period:
                baseline_text += f" ({baseline.period})"
        else:
            baseline_text = baseline.text or "–"
        rows.append(
            SeriesRow(
                label=series.segment or "Totalt",
                baseline=baseline_text,
                target=fmt.target(series.target, measure.unit_kind, measure.decimals)
                if series.interim_target is None
                else fmt.interim(series.interim_target, measure.unit_kind, series.interim_op),
                outcome=fmt.value(series.value, measure.unit_kind, measure.decimals, series.text),
                outcome_period=fmt.period(series.period),
                by_gender=by_gender,
                status=fmt.STATUS[series.status],
                trend=fmt.trend(series.trend, measure.direction),
                note="Seriebrott: jämförs inte med förra värdet." if series.series_break else None,
            )
        )
        panels.append(
            charts.Panel(
                label=series.segment if len(measure.series) > 1 else None,
                years=years,
                values={y: v for y, v in by_year.items() if y in years},
                targets={y: t for y, t in by_target.items() if y in years},
            )
        )
    chart = None
    if measure.unit_kind not in (UnitKind.YES_NO, UnitKind.MILESTONE):
        chart = charts.chart(name, panels, measure.unit_kind, measure.decimals)
    return MeasureBlock(
        code=measure.code,
        name=name,
        unit=fmt.UNIT_LABELS.get(measure.unit_kind, measure.unit_kind),
        rows=rows,
        chart=chart,
    )


def _activity(activity: Activity, config: SteeringConfigDocument) -> ActivityRow:
    status = config.status(activity.status)
    if activity.end_date:
        due = fmt.long_date(activity.end_date)
    elif activity.due_quarter:
        due = fmt.period(activity.due_quarter)
    else:
        due = "–"
    return ActivityRow(
        title=activity.title,
        responsible=activity.responsible or "–",
        due=due,
        status=status.label if status else activity.status,
        progress=fmt.percent(activity.progress),
    )


def _goal(
    goal: GoalFollowUp,
    context: list[str],
    report: FollowUpReport,
    plan: Plan,
    config: SteeringConfigDocument,
    extras: _Extras,
) -> GoalSection:
    period = report.period_label.lower()
    assessment = forecast = None
    if goal.assessment is not None:
        final = goal.assessment.kind is AssessmentKind.FINAL
        heading = f"Bedömning {period}" + (" (utfall)" if final else " (prognos)")
        assessment = _assessment(goal.assessment, heading)
        if final and goal.forecast is not None:
            forecast = _assessment(goal.forecast, f"Prognos {period}")
    return GoalSection(
        code=goal.code,
        title=goal.title,
        level_label=goal.level_label,
        context=context,
        fulfilled=fmt.FULFILLED[goal.fulfilled] if goal.fulfilled is not None else None,
        assessment=assessment,
        forecast=forecast,
        measures=[_measure(m, report, plan, extras) for m in goal.measures],
        activity_summary=_activity_text(goal.activities),
        activities=[_activity(a, config) for a in extras.activities.get(goal.id, [])],
    )


def _sections(
    area: GoalFollowUp,
    report: FollowUpReport,
    plan: Plan,
    config: SteeringConfigDocument,
    extras: _Extras,
) -> tuple[list[GoalSection], list[str]]:
    """The goals of an area that get a section of their own (roll-up goals, goals with
    measures or an assessment, and leaves), each with the goals between it and the area as
    context; and those the period does not report."""
    sections: list[GoalSection] = []
    skipped: list[str] = []

    def visit(goal: GoalFollowUp, context: list[str]) -> None:
        level = config.level(goal.level)
        own = bool(
            (level and level.rollup) or goal.measures or goal.assessment or not goal.children
        )
        if own and not goal.reported:
            skipped.append(f"{goal.code} {goal.title}")
        elif own:
            sections.append(_goal(goal, context, report, plan, config, extras))
        for child in goal.children:
            visit(child, [*context, f"{goal.level_label} {goal.code}: {goal.title}"])

    if area.measures or area.assessment:
        sections.append(_goal(area, [], report, plan, config, extras))
    for child in area.children:
        visit(child, [])
    return sections, skipped


def _legend() -> list[tuple[Marker, str]]:
    return [
        (fmt.STATUS[status], text)
        for status, text in (
            (Status.MET, "utfallet når målvärdet"),
            (Status.NOT_MET, "utfallet når inte målvärdet"),
            (Status.NO_VALUE, "inget utfall i perioden"),
            (Status.NO_TARGET, "måttet har inget målvärde för året"),
        )
    ] + [
        (Marker("↑", "Förbättring", Tone.GOOD), "värdet har ändrats åt det håll som är bättre"),
        (Marker("↓", "Försämring", Tone.BAD), "värdet har ändrats åt det håll som är sämre"),
        (Marker("→", "Oförändrat", Tone.NEUTRAL), "samma värde som förra mätningen"),
    ]


async def build(
    session: AsyncSession, report: FollowUpReport, *, today: date | None = None
) -> ReportDocument:
    plan = await plans.get_plan(session, report.plan_id)
    config = await plans.config_for_unit(session, plan.org_unit_id)
    committee = await orgunits.get_unit(session, plan.org_unit_id)
    municipality = await orgunits.get_unit(
        session, await plans.municipality_of(session, plan.org_unit_id)
    )
    values_of = None
    if report.values_org_unit_id != plan.org_unit_id:
        unit = await session.get(OrgUnit, report.values_org_unit_id)
        values_of = unit.name if unit else report.values_org_unit_id
    extras = await _extras(session, report, plan)
    rollup_level = next((level for level in config.goal_levels if level.rollup), None)
    goal_word = rollup_level.label.lower() if rollup_level else "mål"
    total = report.rollup.total

    areas: list[AreaSection] = []
    not_reported: list[str] = []
    for goal, rolled in zip(report.goals, report.rollup.areas, strict=True):
        sections, skipped = _sections(goal, report, plan, config, extras)
        not_reported += skipped
        areas.append(
            AreaSection(
                code=goal.code,
                title=goal.title,
                level_label=goal.level_label,
                fulfilment=_fulfilment_text(rolled.fulfilment, goal_word),
                goals=sections,
            )
        )
    interim = report.period_kind is PeriodKind.INTERIM
    kind = "Delårsrapport" if interim else "Verksamhetsberättelse"
    reported_before = []
    for publication in report.publications:
        period = config.period(publication.period)
        label = f"{period.label if period else publication.period} {publication.year}"
        if publication.percent is None:
            continue
        text = f"{label}: {fmt.percent(publication.percent)}"
        if publication.result_level:
            text += f", {publication.result_level}"
        if publication.computed:
            published = publication.published_at.astimezone(LOCAL_TIME).date()
            text += f" (beräknad, låst {fmt.long_date(published)})"
        else:
            text += " (siffra ur tryckt rapport)"
        reported_before.append(text)
    made = today or datetime.now(LOCAL_TIME).date()
    headline = (
        f"{total.fulfilled} av {total.goals} {goal_word} uppfyllda ({fmt.percent(total.percent)})"
        if total.percent is not None
        else f"Inga {goal_word} följs upp i perioden"
    )
    return ReportDocument(
        title=f"{kind} {report.year} – måluppfyllelse, {committee.name}",
        kind=kind,
        municipality=municipality.name,
        committee=committee.name,
        plan=plan.name,
        year=report.year,
        period=report.period_label,
        period_end=fmt.long_date(report.period_end),
        created=fmt.long_date(made),
        values_of=values_of,
        goal_word=goal_word,
        headline=headline,
        result_level=total.result_level or "–",
        summary=[
            _summary_row(f"{area.code} {area.title}", area.fulfilment)
            for area in report.rollup.areas
        ],
        total=_summary_row("Totalt", total),
        scale=_scale(config),
        scale_text=(
            f"Andelen uppfyllda {goal_word} avrundas till hela procent och ger resultatnivån "
            f"enligt skalan. Ett {goal_word} räknas som uppfyllt när nämndens bedömning är "
            "Ja. Måttens status räknas fram ur utfall och målvärde och visas bredvid "
            "bedömningen, men ändrar den inte."
        ),
        activities=[
            (s.label, f"{s.count} st", fmt.percent(s.percent))
            for s in report.rollup.activities.by_status
        ],
        activity_total=f"{report.rollup.activities.total} st",
        reported_before=reported_before,
        legend=_legend(),
        areas=areas,
        not_reported=not_reported,
    )
