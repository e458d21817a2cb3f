"""Reads of many measures at once: their targets, series and baselines in three queries, a
page of measures as ``GET /measures`` answers it in five, and, for the follow-up, the latest
value of each series with the one before it, found in SQL.

The follow-up shows, per series, the latest total value of the report year up to the
period's end, else the latest within the measure's look-back, with its status and trend. Both
need only that value and the one before it in the same series (the trend, a direction
target's reference, a series break), so :func:`latest_pairs` asks the database for the two
latest rows per series (on the index ``ix_measure_value_series_end``, which ends in
``period_end``) instead of loading the years' values and walking them in Python: the cost
follows the series shown, not the values stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, String, and_, bindparam, func, or_, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from styr_goals.measures.models import (
    GoalMeasure,
    Measure,
    MeasureBaseline,
    MeasureDefinition,
    MeasureSeries,
    MeasureTarget,
    MeasureValue,
)
from styr_goals.measures.schemas import MeasureRead, ValueRead
from styr_goals.measures.service import SeriesTargets, evaluate, reach, read_of, series_reads

TOTAL = "T"


@dataclass
class Details:
    """One measure's targets, series (ordered by id) and gender baselines."""

    targets: list[MeasureTarget] = field(default_factory=list)
    series: list[MeasureSeries] = field(default_factory=list)
    baselines: list[MeasureBaseline] = field(default_factory=list)

    def resolver(self) -> SeriesTargets:
        return SeriesTargets(self.targets, self.series, self.baselines)


async def details_of(session: AsyncSession, ids: Sequence[str]) -> dict[str, Details]:
    """Targets, series and baselines of the measures ``ids``, in three queries."""
    result = {measure_id: Details() for measure_id in ids}
    if not ids:
        return result
    targets = (
        select(MeasureTarget)
        .where(col(MeasureTarget.measure_id).in_(ids))
        .order_by(col(MeasureTarget.segment), col(MeasureTarget.year))
    )
    for target in (await session.exec(targets)).all():
        result[target.measure_id].targets.append(target)
    series = (
        select(MeasureSeries)
        .where(col(MeasureSeries.measure_id).in_(ids))
        .order_by(col(MeasureSeries.id))
    )
    for row in (await session.exec(series)).all():
        result[row.measure_id].series.append(row)
    baselines = (
        select(MeasureBaseline)
        .where(col(MeasureBaseline.measure_id).in_(ids))
        .order_by(col(MeasureBaseline.segment), col(MeasureBaseline.gender))
    )
    for baseline in (await session.exec(baselines)).all():
        result[baseline.measure_id].baselines.append(baseline)
    return result


async def measure_reads(session: AsyncSession, rows: Sequence[Measure]) -> list[MeasureRead]:
    """What :func:`service.measure_read` answers for each measure, in five queries for all."""
    ids = [measure.id for measure in rows]
    details = await details_of(session, ids)
    definitions: dict[str, list[MeasureDefinition]] = defaultdict(list)
    goals: dict[str, list[str]] = defaultdict(list)
    if ids:
        statement = (
            select(MeasureDefinition)
            .where(col(MeasureDefinition.measure_id).in_(ids))
            .order_by(col(MeasureDefinition.version))
        )
        for definition in (await session.exec(statement)).all():
            definitions[definition.measure_id].append(definition)
        links = (
            select(GoalMeasure.measure_id, GoalMeasure.goal_id)
            .where(col(GoalMeasure.measure_id).in_(ids))
            .order_by(col(GoalMeasure.position), col(GoalMeasure.goal_id))
        )
        for measure_id, goal_id in (await session.exec(links)).all():
            goals[measure_id].append(goal_id)
    return [
        read_of(
            measure,
            goals[measure.id],
            series_reads(
                details[measure.id].series,
                details[measure.id].targets,
                details[measure.id].baselines,
            ),
            definitions[measure.id],
        )
        for measure in rows
    ]


def values_unit(measure: Measure, unit_id: str) -> str:
    """Whose values the measure shows in a follow-up of ``unit_id``."""
    return measure.data_org_unit_id or unit_id


async def latest_pairs(
    session: AsyncSession,
    measures: Sequence[Measure],
    details: dict[str, Details],
    unit_id: str,
    year: int,
    until: date,
) -> dict[tuple[str, str], list[MeasureValue]]:
    """Per series (measure, segment) of ``details``: the total's latest value up to ``until``
    from the earliest year a direction reference may come from (:func:`_first_year`) on, and the
    value before it
    (oldest first; one or two values). The values are those of the measure's data unit, else
    ``unit_id``.

    On PostgreSQL each series is one backward range scan of the index that stops after two
    rows (a lateral join); elsewhere a window over the look-back years' values ranks them."""
    wanted = [
        (measure.id, values_unit(measure, unit_id), row.segment, _first_year(measure, year))
        for measure in measures
        for row in details[measure.id].series
    ]
    if not wanted:
        return {}
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        statement = _two_per_series_lateral(wanted, until)
    else:
        statement = _two_per_series_ranked(wanted, until)
    result: dict[tuple[str, str], list[MeasureValue]] = defaultdict(list)
    for value in (await session.exec(statement)).all():
        result[(value.measure_id, value.segment)].append(value)
    return result


Wanted = list[tuple[str, str, str, int]]  # measure, values unit, segment, first year


def _first_year(measure: Measure, year: int) -> int:
    """The earliest year a pair may reach: the value before the oldest value the look-back
    shows may be a direction target's reference from as far back as :func:`reach` allows."""
    return reach(year - measure.lookback_years, measure.lookback_years)


def _two_per_series_lateral(wanted: Wanted, until: date) -> SelectOfScalar[MeasureValue]:
    series = (
        func.unnest(
            bindparam("measure_ids", [w[0] for w in wanted], type_=ARRAY(String)),
            bindparam("unit_ids", [w[1] for w in wanted], type_=ARRAY(String)),
            bindparam("segments", [w[2] for w in wanted], type_=ARRAY(String)),
            bindparam("first_years", [w[3] for w in wanted], type_=ARRAY(Integer)),
        )
        .table_valued("measure_id", "org_unit_id", "segment", "first_year")
        .render_derived(name="series")
    )
    inner = aliased(MeasureValue, name="candidate")
    two = (
        select(col(inner.id).label("id"))
        .where(
            col(inner.measure_id) == series.c.measure_id,
            col(inner.org_unit_id) == series.c.org_unit_id,
            col(inner.gender) == TOTAL,
            col(inner.segment) == series.c.segment,
            col(inner.period_end) <= until,
            col(inner.period_end) >= func.make_date(series.c.first_year, 1, 1),
            col(inner.year) >= series.c.first_year,
        )
        .order_by(col(inner.period_end).desc(), col(inner.id).desc())
        .limit(2)
        .lateral("two")
    )
    return (
        select(MeasureValue)
        .select_from(series)
        .join(two, true())
        .join(MeasureValue, col(MeasureValue.id) == two.c.id)
        .order_by(col(MeasureValue.period_end), col(MeasureValue.id))
    )


def _two_per_series_ranked(wanted: Wanted, until: date) -> SelectOfScalar[MeasureValue]:
    # Per values unit and first year (a follow-up has one or a few of each): the measures.
    # No join with ``measure``: unit and measures are the index's first columns, whatever
    # the table statistics say.
    groups: dict[tuple[str, int], set[str]] = defaultdict(set)
    for measure_id, unit, _, first in wanted:
        groups[(unit, first)].add(measure_id)
    in_range = or_(
        *(
            and_(
                col(MeasureValue.measure_id).in_(sorted(ids)),
                col(MeasureValue.org_unit_id) == unit,
                col(MeasureValue.period_end) >= date(first, 1, 1),
                col(MeasureValue.year) >= first,
            )
            for (unit, first), ids in sorted(groups.items())
        )
    )
    rank = (
        func.row_number()
        .over(
            partition_by=(col(MeasureValue.measure_id), col(MeasureValue.segment)),
            order_by=(col(MeasureValue.period_end).desc(), col(MeasureValue.id).desc()),
        )
        .label("rank")
    )
    ranked = (
        select(col(MeasureValue.id).label("id"), rank)
        .where(
            in_range,
            col(MeasureValue.gender) == TOTAL,
            col(MeasureValue.period_end) <= until,
        )
        .subquery()
    )
    return (
        select(MeasureValue)
        .join(ranked, ranked.c.id == col(MeasureValue.id))
        .where(ranked.c.rank <= 2)
        .order_by(col(MeasureValue.period_end), col(MeasureValue.id))
    )


def latest_of_series(
    measure: Measure,
    pair: Sequence[MeasureValue],
    resolver: SeriesTargets,
    *,
    year: int,
) -> ValueRead | None:
    """The latest value of a series (``pair`` from :func:`latest_pairs`) evaluated as the
    follow-up shows it: judged against ``year``'s target, its trend against the value before
    it; None when it is older than the measure's look-back."""
    if not pair or pair[-1].year < year - measure.lookback_years:
        return None
    return evaluate(measure, pair, resolver, status_year=year)[-1]
