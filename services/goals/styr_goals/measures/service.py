"""Measures, targets, values and their computed status (no HTTP here).

``write_value`` is the one write path for values: it validates one value against its
measure, upserts it on the natural key (measure, org unit, period, segment, gender), enforces
closed periods and writes the audit entry, without committing, so a bulk importer can call it
for many rows inside one transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_goals import access
from styr_goals.measures.models import (
    GoalMeasure,
    Measure,
    MeasureBaseline,
    MeasureDefinition,
    MeasureSeries,
    MeasureTarget,
    MeasureValue,
    MeasureValueAudit,
    ValuePeriodLock,
)
from styr_goals.measures.periods import PeriodError, parse_period
from styr_goals.measures.schemas import (
    BaselineIn,
    BaselineRead,
    DefinitionCreate,
    DefinitionRead,
    MeasureCreate,
    MeasureRead,
    MeasureUpdate,
    MeasureValues,
    SeriesRead,
    TargetIn,
    TargetRead,
    UnitKind,
    ValueRead,
    ValueWrite,
)
from styr_goals.measures.status import (
    Status,
    TargetBasis,
    baseline_year,
    compute_direction_status,
    compute_status,
    compute_trend,
    direction_operator,
    interim_value,
)
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans.models import Goal, Plan
from styr_goals.plans.service import municipality_of, require_scope
from styr_shared.auth import Principal, Role
from styr_shared.errors import ConflictError, ForbiddenError, InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope
from styr_shared.types import utcnow

MEASURE_WRITERS = (Role.PLANNER,)
VALUE_WRITERS = (Role.PLANNER, Role.IMPORTER, Role.CONTROLLER)
# Late corrections to a closed period are a controller's call (admins always pass).
CLOSED_PERIOD_WRITERS = (Role.CONTROLLER,)
LOCK_WRITERS = (Role.CONTROLLER,)


def _segment(value: str | None) -> str:
    return value or ""


# --- measures ----------------------------------------------------------------------------


async def get_measure(session: AsyncSession, measure_id: str) -> Measure:
    measure = await session.get(Measure, measure_id)
    if measure is None:
        raise NotFoundError(f"Measure {measure_id!r} does not exist.")
    return measure


async def targets_of(session: AsyncSession, measure_id: str) -> Sequence[MeasureTarget]:
    statement = (
        select(MeasureTarget)
        .where(col(MeasureTarget.measure_id) == measure_id)
        .order_by(col(MeasureTarget.segment), col(MeasureTarget.year))
    )
    return (await session.exec(statement)).all()


async def definitions_of(session: AsyncSession, measure_id: str) -> Sequence[MeasureDefinition]:
    statement = (
        select(MeasureDefinition)
        .where(col(MeasureDefinition.measure_id) == measure_id)
        .order_by(col(MeasureDefinition.version))
    )
    return (await session.exec(statement)).all()


async def series_of(session: AsyncSession, measure_id: str) -> Sequence[MeasureSeries]:
    statement = (
        select(MeasureSeries)
        .where(col(MeasureSeries.measure_id) == measure_id)
        .order_by(col(MeasureSeries.id))
    )
    return (await session.exec(statement)).all()


async def goal_ids_of(session: AsyncSession, measure_id: str) -> list[str]:
    statement = (
        select(GoalMeasure.goal_id)
        .where(col(GoalMeasure.measure_id) == measure_id)
        .order_by(col(GoalMeasure.position), col(GoalMeasure.goal_id))
    )
    return list((await session.exec(statement)).all())


def target_read(target: MeasureTarget) -> TargetRead:
    return TargetRead(
        op=target.operator,
        value=target.value,
        qualifier=target.qualifier,
        benchmark=target.benchmark,
        direction=target.direction,
    )


async def baselines_of(session: AsyncSession, measure_id: str) -> Sequence[MeasureBaseline]:
    statement = (
        select(MeasureBaseline)
        .where(col(MeasureBaseline.measure_id) == measure_id)
        .order_by(col(MeasureBaseline.segment), col(MeasureBaseline.gender))
    )
    return (await session.exec(statement)).all()


def baseline_read(row: MeasureSeries | MeasureBaseline) -> BaselineRead:
    if isinstance(row, MeasureSeries):
        return BaselineRead(
            value=row.baseline_value,
            period=row.baseline_period,
            is_new=row.baseline_is_new,
            text=row.baseline_text,
        )
    return BaselineRead(value=row.value, period=row.period, is_new=row.is_new, text=row.text)


def series_reads(
    series: Sequence[MeasureSeries],
    targets: Sequence[MeasureTarget],
    baselines: Sequence[MeasureBaseline],
) -> list[SeriesRead]:
    """A measure's series as read (targets ordered by segment and year, baselines by segment
    and gender, as :func:`targets_of` and :func:`baselines_of` give them)."""
    return [
        SeriesRead(
            segment=row.segment or None,
            code=row.code,
            baseline=baseline_read(row),
            gender_baselines={
                b.gender: baseline_read(b) for b in baselines if b.segment == row.segment
            },
            targets={t.year: target_read(t) for t in targets if t.segment == row.segment},
        )
        for row in series
    ]


def read_of(
    measure: Measure,
    goal_ids: list[str],
    series: list[SeriesRead],
    definitions: Sequence[MeasureDefinition],
) -> MeasureRead:
    return MeasureRead.model_validate(
        {
            **measure.model_dump(),
            "goal_ids": goal_ids,
            "series": series,
            "definitions": [DefinitionRead.model_validate(d) for d in definitions],
        }
    )


async def measure_read(session: AsyncSession, measure: Measure) -> MeasureRead:
    """One measure as read (``latest.measure_reads`` reads a page of them at once)."""
    series = series_reads(
        await series_of(session, measure.id),
        await targets_of(session, measure.id),
        await baselines_of(session, measure.id),
    )
    return read_of(
        measure,
        await goal_ids_of(session, measure.id),
        series,
        await definitions_of(session, measure.id),
    )


async def list_measures(
    session: AsyncSession,
    page: PageParams,
    *,
    org_unit_id: str | None = None,
    goal_id: str | None = None,
    plan_id: str | None = None,
    code: str | None = None,
    kolada_kpi_id: str | None = None,
    periodicity: str | None = None,
    ids: Sequence[str] | None = None,
    municipality: str | None = None,
    scope: ReadScope,
) -> tuple[list[Measure], str | None]:
    statement = select(Measure).where(access.unit_clause(scope, Measure.org_unit_id))
    if municipality is not None:
        units = select(OrgUnit.id).where(col(OrgUnit.municipality_id) == municipality)
        statement = statement.where(col(Measure.org_unit_id).in_(units))
    if ids is not None:
        statement = statement.where(col(Measure.id).in_(ids))
    if org_unit_id is not None:
        statement = statement.where(col(Measure.org_unit_id) == org_unit_id)
    if code is not None:
        statement = statement.where(col(Measure.code) == code)
    if kolada_kpi_id is not None:
        statement = statement.where(col(Measure.kolada_kpi_id) == kolada_kpi_id)
    if periodicity is not None:
        statement = statement.where(col(Measure.periodicity) == periodicity)
    if goal_id is not None:
        linked = select(GoalMeasure.measure_id).where(col(GoalMeasure.goal_id) == goal_id)
        statement = statement.where(col(Measure.id).in_(linked))
    if plan_id is not None:
        in_plan = (
            select(GoalMeasure.measure_id)
            .join(Goal, col(Goal.id) == col(GoalMeasure.goal_id))
            .where(col(Goal.plan_id) == plan_id)
        )
        statement = statement.where(col(Measure.id).in_(in_plan))
    return await paginate(session, statement, [col(Measure.id)], page)


async def _check_goals(session: AsyncSession, goal_ids: Iterable[str], unit_id: str) -> None:
    """The goals exist and are goals of the measure's municipality."""
    municipality = await municipality_of(session, unit_id)
    for index, goal_id in enumerate(goal_ids):
        goal = await session.get(Goal, goal_id)
        if goal is None:
            raise InvalidFieldError(f"body.goal_ids.{index}", f"unknown goal {goal_id!r}")
        plan = await session.get(Plan, goal.plan_id)
        if plan is None or await municipality_of(session, plan.org_unit_id) != municipality:
            raise InvalidFieldError(
                f"body.goal_ids.{index}", f"goal {goal_id!r} is not in the measure's municipality"
            )


async def _link_goals(session: AsyncSession, measure_id: str, goal_ids: list[str]) -> None:
    existing = (
        await session.exec(select(GoalMeasure).where(col(GoalMeasure.measure_id) == measure_id))
    ).all()
    for link in existing:
        await session.delete(link)
    await session.flush()
    for position, goal_id in enumerate(dict.fromkeys(goal_ids)):
        session.add(GoalMeasure(goal_id=goal_id, measure_id=measure_id, position=position))


def _target_row(
    measure: Measure | MeasureCreate, measure_id: str, segment: str, year: int, target: TargetIn
) -> MeasureTarget:
    # A direction target's operator is the comparison with its reference.
    operator = (
        direction_operator(target.direction, measure.direction)
        if target.direction is not None
        else target.op
    )
    assert operator is not None  # TargetIn requires op without a direction
    return MeasureTarget(
        measure_id=measure_id,
        segment=segment,
        year=year,
        operator=operator,
        value=target.value,
        qualifier=target.qualifier,
        benchmark=target.benchmark,
        direction=target.direction,
    )


async def _check_data_unit(
    session: AsyncSession, unit_id: str | None, owner_id: str, field: str
) -> None:
    """The data unit exists and is in the measure's municipality."""
    if unit_id is None:
        return
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise InvalidFieldError(field, f"unknown org unit {unit_id!r}")
    if unit.municipality_id != await municipality_of(session, owner_id):
        raise InvalidFieldError(field, "the data unit is not in the measure's municipality")


def _baseline_row(
    measure_id: str, segment: str, gender: str, baseline: BaselineIn
) -> MeasureBaseline:
    return MeasureBaseline(
        measure_id=measure_id,
        segment=segment,
        gender=gender,
        value=baseline.value,
        period=baseline.period,
        is_new=baseline.is_new,
        text=baseline.text,
    )


async def create_measure(session: AsyncSession, data: MeasureCreate, actor: Principal) -> Measure:
    if await session.get(OrgUnit, data.org_unit_id) is None:
        raise InvalidFieldError("body.org_unit_id", f"unknown org unit {data.org_unit_id!r}")
    await require_scope(session, actor, data.org_unit_id, MEASURE_WRITERS)
    await _check_goals(session, data.goal_ids, data.org_unit_id)
    await _check_data_unit(
        session, data.data_org_unit_id, data.org_unit_id, "body.data_org_unit_id"
    )
    measure_id = data.id or uuid.uuid4().hex
    if await session.get(Measure, measure_id) is not None:
        raise ConflictError(f"Measure {measure_id!r} already exists.")
    taken = select(Measure.id).where(
        col(Measure.org_unit_id) == data.org_unit_id, col(Measure.code) == data.code
    )
    if (await session.exec(taken)).first() is not None:
        raise ConflictError(f"The code {data.code!r} is already used by this unit's measures.")
    fields = data.model_dump(
        exclude={"id", "goal_ids", "series", "valid_from_year", "definition_note"}
    )
    measure = Measure(id=measure_id, **fields)
    session.add(measure)
    await session.flush()
    target_years = [year for series in data.series for year in series.targets]
    session.add(
        MeasureDefinition(
            measure_id=measure_id,
            version=1,
            valid_from_year=data.valid_from_year or min(target_years, default=utcnow().year),
            name=data.name,
            description=data.description,
            unit_kind=data.unit_kind,
            change_note=data.definition_note,
            created_by=actor.subject,
        )
    )
    given = {series.segment: series for series in data.series}
    segments: list[str | None] = list(data.segments) or [None]
    for segment in segments:
        series = given.get(segment)
        baseline = series.baseline if series else None
        session.add(
            MeasureSeries(
                measure_id=measure_id,
                segment=_segment(segment),
                code=series.code if series else None,
                baseline_value=baseline.value if baseline else None,
                baseline_period=baseline.period if baseline else None,
                baseline_is_new=baseline.is_new if baseline else False,
                baseline_text=baseline.text if baseline else None,
            )
        )
        for year, target in (series.targets if series else {}).items():
            session.add(_target_row(data, measure_id, _segment(segment), year, target))
        for gender, by_gender in (series.gender_baselines if series else {}).items():
            session.add(_baseline_row(measure_id, _segment(segment), gender, by_gender))
    await _link_goals(session, measure_id, data.goal_ids)
    await session.commit()
    return measure


async def update_measure(
    session: AsyncSession, measure_id: str, data: MeasureUpdate, actor: Principal
) -> Measure:
    measure = await get_measure(session, measure_id)
    await require_scope(session, actor, measure.org_unit_id, MEASURE_WRITERS)
    changes = data.model_dump(exclude_unset=True)
    goal_ids = changes.pop("goal_ids", None)
    for required in ("decimals", "lookback_years"):
        if required in changes and changes[required] is None:
            raise InvalidFieldError(f"body.{required}", "must be a number")
    if "data_org_unit_id" in changes:
        await _check_data_unit(
            session, changes["data_org_unit_id"], measure.org_unit_id, "body.data_org_unit_id"
        )
    for field, value in changes.items():
        setattr(measure, field, value)
    if goal_ids is not None:
        await _check_goals(session, goal_ids, measure.org_unit_id)
        await _link_goals(session, measure.id, goal_ids)
    measure.updated_at = utcnow()
    session.add(measure)
    await session.commit()
    return measure


async def add_definition(
    session: AsyncSession, measure_id: str, data: DefinitionCreate, actor: Principal
) -> Measure:
    measure = await get_measure(session, measure_id)
    await require_scope(session, actor, measure.org_unit_id, MEASURE_WRITERS)
    definitions = await definitions_of(session, measure_id)
    latest = definitions[-1]
    if data.valid_from_year <= latest.valid_from_year:
        raise InvalidFieldError(
            "body.valid_from_year", f"must be after {latest.valid_from_year} (the latest version)"
        )
    session.add(
        MeasureDefinition(
            measure_id=measure_id,
            version=latest.version + 1,
            valid_from_year=data.valid_from_year,
            name=data.name,
            description=data.description,
            unit_kind=data.unit_kind or measure.unit_kind,
            change_note=data.change_note,
            created_by=actor.subject,
        )
    )
    measure.name, measure.description = data.name, data.description
    measure.unit_kind = data.unit_kind or measure.unit_kind
    measure.updated_at = utcnow()
    session.add(measure)
    await session.commit()
    return measure


def _check_segment(measure: Measure, segment: str | None, field: str) -> str:
    if measure.segments and segment not in measure.segments:
        raise InvalidFieldError(field, f"must be one of: {', '.join(measure.segments)}")
    if not measure.segments and segment is not None:
        raise InvalidFieldError(field, "this measure has no segments")
    return _segment(segment)


async def put_target(
    session: AsyncSession,
    measure_id: str,
    year: int,
    segment: str | None,
    data: TargetIn | None,
    actor: Principal,
) -> Measure:
    """Set (or with ``data`` None, clear) the target of one year and segment."""
    measure = await get_measure(session, measure_id)
    await require_scope(session, actor, measure.org_unit_id, MEASURE_WRITERS)
    key = _check_segment(measure, segment, "query.segment")
    statement = select(MeasureTarget).where(
        col(MeasureTarget.measure_id) == measure_id,
        col(MeasureTarget.segment) == key,
        col(MeasureTarget.year) == year,
    )
    existing = (await session.exec(statement)).first()
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    if data is not None:
        session.add(_target_row(measure, measure_id, key, year, data))
    measure.updated_at = utcnow()
    session.add(measure)
    await session.commit()
    return measure


# --- values ------------------------------------------------------------------------------


def _definition_version(definitions: Sequence[MeasureDefinition], year: int) -> int:
    applicable = [d.version for d in definitions if d.valid_from_year <= year]
    return max(applicable, default=1)


async def closed_through(session: AsyncSession, unit_id: str) -> date | None:
    """The latest closing date that applies to the unit (its own lock or an ancestor's)."""
    chain = await orgunits.lineage(session, unit_id)
    statement = select(col(ValuePeriodLock.closed_through)).where(
        col(ValuePeriodLock.org_unit_id).in_(chain)
    )
    return max((await session.exec(statement)).all(), default=None)


def _snapshot(value: MeasureValue) -> dict[str, Any]:
    def number(n: Decimal | None) -> str | None:
        # Canonical text so stored (48.5000) and written (48.5) values compare equal.
        return None if n is None else format(n.normalize(), "f")

    return {
        "period": value.period,
        "org_unit_id": value.org_unit_id,
        "segment": value.segment or None,
        "gender": value.gender,
        "value": number(value.value),
        "text": value.text,
        "manual_status": value.manual_status,
        "numerator": number(value.numerator),
        "denominator": number(value.denominator),
        "state": value.state,
        "comment": value.comment,
        "source": value.source,
    }


async def write_value(
    session: AsyncSession,
    measure: Measure,
    data: ValueWrite,
    actor: Principal,
    *,
    field_prefix: str = "body",
) -> tuple[MeasureValue, bool]:
    """Validate and upsert one value; returns it and whether it was created. No commit."""
    unit = await session.get(OrgUnit, data.org_unit_id)
    if unit is None:
        raise InvalidFieldError(
            f"{field_prefix}.org_unit_id", f"unknown org unit {data.org_unit_id!r}"
        )
    await require_scope(session, actor, data.org_unit_id, VALUE_WRITERS)
    if unit.municipality_id != await municipality_of(session, measure.org_unit_id):
        raise InvalidFieldError(
            f"{field_prefix}.org_unit_id", "the unit is not in the measure's municipality"
        )
    try:
        period = parse_period(data.period, measure.periodicity, measure.point_in_time)
    except PeriodError as exc:
        raise InvalidFieldError(f"{field_prefix}.period", str(exc)) from exc
    segment = _check_segment(measure, data.segment, f"{field_prefix}.segment")
    if data.gender != "T" and not measure.gender_split:
        raise InvalidFieldError(f"{field_prefix}.gender", "this measure has no gender split")
    if measure.unit_kind == UnitKind.TEXT:
        if data.value is not None:
            raise InvalidFieldError(f"{field_prefix}.value", "a text measure has no number")
        if data.text is None:
            raise InvalidFieldError(f"{field_prefix}.text", "a text measure's value is a text")
    else:
        if data.value is None:
            raise InvalidFieldError(f"{field_prefix}.value", "value is required")
        if data.text is not None or data.manual_status is not None:
            field = "text" if data.text is not None else "manual_status"
            raise InvalidFieldError(
                f"{field_prefix}.{field}", "only a text measure takes a text and manual status"
            )
    closed = await closed_through(session, data.org_unit_id)
    is_closed = closed is not None and period.end <= closed
    if is_closed and not actor.has_any_role(*CLOSED_PERIOD_WRITERS):
        raise ForbiddenError(
            f"Period {period.text} is closed (through {closed}); a controller must correct it."
        )
    statement = select(MeasureValue).where(
        col(MeasureValue.measure_id) == measure.id,
        col(MeasureValue.org_unit_id) == data.org_unit_id,
        col(MeasureValue.period) == period.text,
        col(MeasureValue.segment) == segment,
        col(MeasureValue.gender) == data.gender,
    )
    row = (await session.exec(statement)).first()
    created = row is None
    old = None if row is None else _snapshot(row)
    if row is None:
        row = MeasureValue(
            measure_id=measure.id,
            org_unit_id=data.org_unit_id,
            period=period.text,
            period_end=period.end,
            year=period.year,
            segment=segment,
            gender=data.gender,
            value=data.value,
            recorded_by=actor.subject,
        )
    row.value, row.numerator, row.denominator = data.value, data.numerator, data.denominator
    row.text, row.manual_status = data.text, data.manual_status
    row.state, row.comment, row.source = data.state, data.comment, data.source
    row.definition_version = _definition_version(
        await definitions_of(session, measure.id), period.year
    )
    row.recorded_by, row.updated_at = actor.subject, utcnow()
    session.add(row)
    await session.flush()
    if old is not None or is_closed:
        assert row.id is not None
        session.add(
            MeasureValueAudit(
                value_id=row.id,
                measure_id=measure.id,
                closed_period=is_closed,
                changed_by=actor.subject,
                old=old,
                new=_snapshot(row),
            )
        )
    return row, created


async def values_of(
    session: AsyncSession,
    measure_id: str,
    *,
    org_unit_id: str | None = None,
    year: int | None = None,
    until: date | None = None,
    from_year: int | None = None,
    lookback_years: int = 0,
) -> Sequence[MeasureValue]:
    """Values ordered by series and period end (what :func:`evaluate` expects); with ``year``,
    from the earliest year a value of that year may be compared with (:func:`reach`)."""
    statement = select(MeasureValue).where(col(MeasureValue.measure_id) == measure_id)
    if from_year is not None:
        statement = statement.where(col(MeasureValue.year) >= from_year)
    if org_unit_id is not None:
        statement = statement.where(col(MeasureValue.org_unit_id) == org_unit_id)
    if until is not None:
        statement = statement.where(col(MeasureValue.period_end) <= until)
    if year is not None:
        # Earlier values within reach stay in so the first value of the year gets a trend and
        # a direction target its reference.
        statement = statement.where(
            col(MeasureValue.year).between(reach(year, lookback_years), year)
        )
    statement = statement.order_by(
        col(MeasureValue.org_unit_id),
        col(MeasureValue.segment),
        col(MeasureValue.gender),
        col(MeasureValue.period_end),
        col(MeasureValue.id),
    )
    return (await session.exec(statement)).all()


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """What a value of one series and year is judged against."""

    basis: TargetBasis | None
    stated: MeasureTarget | None
    operator: str | None = None
    value: Decimal | None = None  # the stated or the interim number


@dataclass(frozen=True, slots=True)
class Anchor:
    year: int
    value: Decimal
    period: str | None


class SeriesTargets:
    """A measure's stated targets and baselines, answering for any series and year what a
    value is judged against: the stated target, an interim target on the trajectory between
    the anchors around the year, or a direction target (see ``status``)."""

    def __init__(
        self,
        targets: Sequence[MeasureTarget],
        series: Sequence[MeasureSeries] = (),
        baselines: Sequence[MeasureBaseline] = (),
    ) -> None:
        self.stated = {(t.segment, t.year): t for t in targets}
        self.numeric: dict[str, list[MeasureTarget]] = defaultdict(list)
        for target in sorted(targets, key=lambda t: t.year):
            if target.value is not None and target.direction is None:
                self.numeric[target.segment].append(target)
        self.baselines: dict[tuple[str, str], Anchor | None] = {}
        for row in series:
            self.baselines[(row.segment, "T")] = _anchor(row.baseline_value, row.baseline_period)
        for baseline in baselines:
            self.baselines[(baseline.segment, baseline.gender)] = _anchor(
                baseline.value, baseline.period
            )

    def baseline(self, segment: str, gender: str) -> Anchor | None:
        """The gender's own baseline, else the series' (the total's)."""
        own = self.baselines.get((segment, gender))
        return own if own is not None else self.baselines.get((segment, "T"))

    def resolve(self, segment: str, gender: str, year: int) -> ResolvedTarget:
        stated = self.stated.get((segment, year))
        if stated is not None:
            if stated.direction is not None:
                return ResolvedTarget(TargetBasis.DIRECTION, stated, stated.operator)
            if stated.value is not None:
                return ResolvedTarget(TargetBasis.STATED, stated, stated.operator, stated.value)
            return ResolvedTarget(None, stated)  # a benchmark only: nothing to compare with
        numeric = self.numeric.get(segment, [])
        later = next((t for t in numeric if t.year > year), None)
        if later is None or later.value is None:
            return ResolvedTarget(None, None)
        earlier = [t for t in numeric if t.year < year]
        start: Anchor | None
        if earlier and earlier[-1].value is not None:
            start = Anchor(earlier[-1].year, earlier[-1].value, None)
        else:
            start = self.baseline(segment, gender)
        if start is None or not start.year < year:
            return ResolvedTarget(None, None)
        point = interim_value(start.year, start.value, later.year, later.value, year)
        return ResolvedTarget(TargetBasis.INTERIM, None, later.operator, point)


def _anchor(value: Decimal | None, period: str | None) -> Anchor | None:
    year = baseline_year(period)
    return None if value is None or year is None else Anchor(year, value, period)


@dataclass(frozen=True, slots=True)
class Judgement:
    status: Status
    basis: TargetBasis | None
    stated: MeasureTarget | None
    interim: Decimal | None = None
    reference: Decimal | None = None
    reference_period: str | None = None
    interim_op: str | None = None  # the later target's operator, which the interim one takes


def judge(
    measure: Measure,
    value: Decimal | None,
    resolved: ResolvedTarget,
    *,
    previous: MeasureValue | None,
    baseline: Anchor | None,
    manual_status: str | None = None,
    qualitative: bool = False,
) -> Judgement:
    """The status of one value (``None``: no value) against what it is judged against.

    A qualitative value carries the status a person gave it. A direction target compares
    with ``previous`` (a value of the same series and definition) or else the baseline."""
    if qualitative:
        status = Status(manual_status) if manual_status else Status.NO_VALUE
        return Judgement(status, None, resolved.stated)
    if resolved.basis is TargetBasis.DIRECTION:
        assert resolved.stated is not None
        assert resolved.stated.direction is not None
        reference, period = None, None
        if previous is not None and previous.value is not None:
            reference, period = previous.value, previous.period
        elif baseline is not None:
            reference, period = baseline.value, baseline.period
        status = compute_direction_status(
            value, resolved.stated.direction, measure.direction, reference, measure.decimals
        )
        return Judgement(status, resolved.basis, resolved.stated, None, reference, period)
    status = compute_status(value, resolved.operator, resolved.value, measure.decimals)
    if resolved.basis is TargetBasis.INTERIM:
        return Judgement(
            status, resolved.basis, resolved.stated, resolved.value, interim_op=resolved.operator
        )
    return Judgement(status, resolved.basis, resolved.stated)


def reach(year: int, lookback_years: int) -> int:
    """The earliest year whose value a value of ``year`` is compared with: the previous year's
    latest available value, which the look-back lets be as old as ``lookback_years`` more."""
    return year - 1 - lookback_years


def evaluate(
    measure: Measure,
    values: Sequence[MeasureValue],
    targets: Sequence[MeasureTarget] | SeriesTargets,
    *,
    status_year: int | None = None,
) -> list[ValueRead]:
    """Status and trend for each value (values ordered as :func:`values_of` returns them).

    ``status_year`` judges every value against that year's target instead of its own (a
    follow-up showing the latest available value of an earlier year)."""
    resolver = targets if isinstance(targets, SeriesTargets) else SeriesTargets(targets)
    previous: dict[tuple[str, str, str], MeasureValue] = {}
    result: list[ValueRead] = []
    for value in values:
        series = (value.org_unit_id, value.segment, value.gender)
        before = previous.get(series)
        same_definition = (
            before is not None and before.definition_version == value.definition_version
        )
        comparable = before if same_definition else None
        # A direction target's reference: the previous value within reach, else the baseline.
        earliest = reach(value.year, measure.lookback_years)
        reference = comparable if comparable and comparable.year >= earliest else None
        resolved = resolver.resolve(value.segment, value.gender, status_year or value.year)
        judged = judge(
            measure,
            value.value,
            resolved,
            previous=reference,
            baseline=resolver.baseline(value.segment, value.gender)
            if reference is None and (before is None or same_definition)
            else None,
            manual_status=value.manual_status,
            qualitative=value.value is None,
        )
        trend = (
            compute_trend(
                value.value,
                comparable.value if comparable is not None else None,
                measure.direction,
                measure.decimals,
            )
            if value.value is not None
            else None
        )
        result.append(
            ValueRead.model_validate(
                {
                    **value.model_dump(),
                    "segment": value.segment or None,
                    "target": target_read(judged.stated) if judged.stated else None,
                    "target_basis": judged.basis,
                    "interim_target": judged.interim,
                    "interim_op": judged.interim_op,
                    "reference": judged.reference,
                    "reference_period": judged.reference_period,
                    "status": judged.status,
                    "trend": trend,
                    "series_break": before is not None and not same_definition,
                }
            )
        )
        previous[series] = value
    return result


async def series_targets(session: AsyncSession, measure_id: str) -> SeriesTargets:
    return SeriesTargets(
        await targets_of(session, measure_id),
        await series_of(session, measure_id),
        await baselines_of(session, measure_id),
    )


async def evaluated_values(
    session: AsyncSession,
    measure: Measure,
    *,
    org_unit_id: str | None = None,
    year: int | None = None,
    until: date | None = None,
) -> list[ValueRead]:
    values = await values_of(
        session,
        measure.id,
        org_unit_id=org_unit_id,
        year=year,
        until=until,
        lookback_years=measure.lookback_years,
    )
    evaluated = evaluate(measure, values, await series_targets(session, measure.id))
    return [v for v in evaluated if year is None or v.year == year]


async def evaluated_values_of_many(
    session: AsyncSession,
    page: PageParams,
    *,
    plan_id: str | None = None,
    measure_ids: Sequence[str] | None = None,
    org_unit_id: str | None = None,
    years: Sequence[int] | None = None,
    scope: ReadScope,
) -> tuple[list[MeasureValues], str | None]:
    """The evaluated values of a page of measures (by id), in five queries for the page.

    Each year is evaluated as :func:`evaluated_values` does for one year (with the year before
    for the first trend), so the answer per measure and year is the same as the single-measure
    endpoint's; without ``years``, all values.
    """
    measures, cursor = await list_measures(
        session, page, plan_id=plan_id, ids=measure_ids, scope=scope
    )
    ids = [measure.id for measure in measures]
    wanted = sorted(set(years)) if years else None
    statement = select(MeasureValue).where(col(MeasureValue.measure_id).in_(ids))
    if org_unit_id is not None:
        statement = statement.where(col(MeasureValue.org_unit_id) == org_unit_id)
    if wanted is not None:
        longest = max((measure.lookback_years for measure in measures), default=0)
        around = {y for year in wanted for y in range(reach(year, longest), year + 1)}
        statement = statement.where(col(MeasureValue.year).in_(sorted(around)))
    statement = statement.order_by(
        col(MeasureValue.measure_id),
        col(MeasureValue.org_unit_id),
        col(MeasureValue.segment),
        col(MeasureValue.gender),
        col(MeasureValue.period_end),
        col(MeasureValue.id),
    )
    values: dict[str, list[MeasureValue]] = {measure_id: [] for measure_id in ids}
    for value in (await session.exec(statement)).all():
        values[value.measure_id].append(value)
    target_rows = (
        await session.exec(select(MeasureTarget).where(col(MeasureTarget.measure_id).in_(ids)))
    ).all()
    targets: dict[str, list[MeasureTarget]] = {measure_id: [] for measure_id in ids}
    for target in target_rows:
        targets[target.measure_id].append(target)
    series: dict[str, list[MeasureSeries]] = {measure_id: [] for measure_id in ids}
    for row in (
        await session.exec(select(MeasureSeries).where(col(MeasureSeries.measure_id).in_(ids)))
    ).all():
        series[row.measure_id].append(row)
    baselines: dict[str, list[MeasureBaseline]] = {measure_id: [] for measure_id in ids}
    for baseline in (
        await session.exec(select(MeasureBaseline).where(col(MeasureBaseline.measure_id).in_(ids)))
    ).all():
        baselines[baseline.measure_id].append(baseline)

    def evaluated(measure: Measure) -> list[ValueRead]:
        rows = values[measure.id]
        goals = SeriesTargets(targets[measure.id], series[measure.id], baselines[measure.id])
        if wanted is None:
            return evaluate(measure, rows, goals)
        found = [
            value
            for year in wanted
            for value in evaluate(
                measure,
                [r for r in rows if reach(year, measure.lookback_years) <= r.year <= year],
                goals,
            )
            if value.year == year
        ]
        return sorted(
            found,
            key=lambda v: (v.org_unit_id, v.segment or "", v.gender, v.period_end, v.id),
        )

    return [
        MeasureValues(measure_id=measure.id, values=evaluated(measure)) for measure in measures
    ], cursor


def status_without_value(target: MeasureTarget | None) -> Status:
    return Status.NO_TARGET if target is None or target.value is None else Status.NO_VALUE


async def audit_of(
    session: AsyncSession, measure_id: str, page: PageParams, *, value_id: int | None = None
) -> tuple[list[MeasureValueAudit], str | None]:
    """One page of the measure's audit, oldest first (a night's import can add thousands)."""
    statement = select(MeasureValueAudit).where(col(MeasureValueAudit.measure_id) == measure_id)
    if value_id is not None:
        statement = statement.where(col(MeasureValueAudit.value_id) == value_id)
    return await paginate(session, statement, [col(MeasureValueAudit.id)], page)


# --- period locks ------------------------------------------------------------------------


async def put_lock(
    session: AsyncSession, unit_id: str, closed: date, actor: Principal
) -> ValuePeriodLock:
    await orgunits.get_unit(session, unit_id)
    await require_scope(session, actor, unit_id, LOCK_WRITERS)
    lock = await session.get(ValuePeriodLock, unit_id)
    if lock is None:
        lock = ValuePeriodLock(org_unit_id=unit_id, closed_through=closed, closed_by="")
    lock.closed_through, lock.closed_by, lock.closed_at = closed, actor.subject, utcnow()
    session.add(lock)
    await session.commit()
    return lock


async def list_locks(session: AsyncSession, scope: ReadScope) -> Sequence[ValuePeriodLock]:
    statement = (
        select(ValuePeriodLock)
        .where(access.unit_clause(scope, ValuePeriodLock.org_unit_id))
        .order_by(col(ValuePeriodLock.org_unit_id))
    )
    return (await session.exec(statement)).all()


def group_targets(targets: Sequence[MeasureTarget]) -> dict[tuple[str, int], MeasureTarget]:
    return {(target.segment, target.year): target for target in targets}
