"""Assessments, activities, the roll-up and the follow-up report (no HTTP here).

Roll-up rules (the numbers a committee's annual report prints):

* The goals counted are those on a goal level configured with ``rollup: true`` (nämndmål)
  that the period reports (a goal under a KF goal tagged ``B`` is not reported at the interim
  report when that period's tags are ``["D/B"]``).
* A goal is fulfilled when its current assessment for the year and period says ``Ja``: the
  latest ``final`` assessment, else the latest ``forecast``. Computed measure statuses are
  shown beside it and never change it.
* Share = fulfilled / goals × 100, rounded half up to a whole percent, per goal area (the
  top-level goals, e.g. kommunmål) and in total; the rounded share maps to the result level
  with the highest threshold not above it (the municipality's configured scale).
* Activity completion: per configured status "n st (x %)" with x = n / all × 100 rounded half
  up, for a goal's whole subtree, for each goal area and in total; activities of the chosen
  unit only, or (``include_below``) of it and every unit below it.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from styr_goals import access
from styr_goals.followup.models import Activity, Assessment, Publication
from styr_goals.followup.schemas import (
    ActivityCreate,
    ActivityUpdate,
    AreaRollup,
    AssessmentCreate,
    AssessmentKind,
    AssessmentRead,
    Completion,
    FollowUpReport,
    Fulfilment,
    GoalFollowUp,
    MeasureFollowUp,
    PublicationCreate,
    PublicationSummary,
    Rollup,
    SeriesFollowUp,
    StatusCount,
)
from styr_goals.measures import latest
from styr_goals.measures import service as measures
from styr_goals.measures.models import GoalMeasure, Measure
from styr_goals.orgunits import service as orgunits
from styr_goals.orgunits.models import OrgUnit
from styr_goals.plans import service as plans
from styr_goals.plans.models import Goal, GoalVersion, Plan
from styr_goals.plans.schemas import FollowUpPeriodConfig, SteeringConfigDocument
from styr_shared import orgtree
from styr_shared.auth import Principal
from styr_shared.errors import InvalidFieldError, NotFoundError
from styr_shared.pagination import PageParams, paginate
from styr_shared.tenancy import ReadScope
from styr_shared.types import utcnow

M = TypeVar("M")


def percent(part: int, whole: int) -> int:
    """part / whole as a whole percent, rounded half up (0 when whole is 0)."""
    if whole == 0:
        return 0
    share = Decimal(100 * part) / Decimal(whole)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _period(config: SteeringConfigDocument, key: str, field: str) -> FollowUpPeriodConfig:
    period = config.period(key)
    if period is None:
        allowed = ", ".join(p.key for p in config.follow_up_periods)
        raise InvalidFieldError(field, f"unknown follow-up period {key!r}; one of: {allowed}")
    return period


def period_end(period: FollowUpPeriodConfig, year: int) -> date:
    return date(year, period.end_month, calendar.monthrange(year, period.end_month)[1])


def _in_plan(plan: Plan, year: int, field: str) -> None:
    if not plan.start_year <= year <= plan.end_year:
        raise InvalidFieldError(
            field, f"{year} is outside the plan's years {plan.start_year}–{plan.end_year}"
        )


# --- assessments -------------------------------------------------------------------------


async def create_assessment(
    session: AsyncSession, goal_id: str, data: AssessmentCreate, actor: Principal
) -> Assessment:
    goal = await plans.get_goal(session, goal_id)
    plan = await plans.get_plan(session, goal.plan_id)
    await plans.require_scope(session, actor, plan.org_unit_id)
    config = await plans.config_for_unit(session, plan.org_unit_id)
    _period(config, data.period, "body.period")
    _in_plan(plan, data.year, "body.year")
    if await plans.version_in(session, goal.id, data.year) is None:
        raise InvalidFieldError("body.year", f"the goal is not in the {data.year} tree")
    assessment = Assessment(
        goal_id=goal.id, author=actor.subject, author_name=actor.name, **data.model_dump()
    )
    session.add(assessment)
    await session.commit()
    return assessment


async def list_assessments(
    session: AsyncSession, goal_id: str, *, year: int | None = None, period: str | None = None
) -> Sequence[Assessment]:
    await plans.get_goal(session, goal_id)
    statement = select(Assessment).where(col(Assessment.goal_id) == goal_id)
    if year is not None:
        statement = statement.where(col(Assessment.year) == year)
    if period is not None:
        statement = statement.where(col(Assessment.period) == period)
    return (await session.exec(statement.order_by(col(Assessment.id)))).all()


def _of_goals(
    statement: SelectOfScalar[M],
    goal_column: Any,
    plan_id: str | None,
    goal_ids: Sequence[str] | None,
    scope: ReadScope,
) -> SelectOfScalar[M]:
    # rows of another municipality's goals are left out, not refused: a list names many goals
    statement = statement.where(access.goal_clause(scope, goal_column))
    if goal_ids is not None:
        statement = statement.where(col(goal_column).in_(goal_ids))
    if plan_id is not None:
        in_plan = select(Goal.id).where(col(Goal.plan_id) == plan_id)
        statement = statement.where(col(goal_column).in_(in_plan))
    return statement


async def assessments_of(
    session: AsyncSession,
    page: PageParams,
    *,
    plan_id: str | None = None,
    goal_ids: Sequence[str] | None = None,
    year: int | None = None,
    period: str | None = None,
    scope: ReadScope,
) -> tuple[list[Assessment], str | None]:
    """Assessments of many goals (a plan's, or those named), oldest first, one page."""
    statement = _of_goals(select(Assessment), Assessment.goal_id, plan_id, goal_ids, scope)
    if year is not None:
        statement = statement.where(col(Assessment.year) == year)
    if period is not None:
        statement = statement.where(col(Assessment.period) == period)
    return await paginate(session, statement, [col(Assessment.id)], page)


# --- activities --------------------------------------------------------------------------


async def get_activity(session: AsyncSession, activity_id: int) -> Activity:
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError(f"Activity {activity_id} does not exist.")
    return activity


async def create_activity(
    session: AsyncSession, goal_id: str, data: ActivityCreate, actor: Principal
) -> Activity:
    goal = await plans.get_goal(session, goal_id)
    plan = await plans.get_plan(session, goal.plan_id)
    if data.org_unit_id not in await orgunits.descendants(session, plan.org_unit_id):
        raise InvalidFieldError("body.org_unit_id", "must be the plan's unit or a unit below it")
    await plans.require_scope(session, actor, data.org_unit_id)
    config = await plans.config_for_unit(session, plan.org_unit_id)
    if config.status(data.status) is None:
        allowed = ", ".join(s.key for s in config.activity_statuses)
        raise InvalidFieldError("body.status", f"one of: {allowed}")
    _in_plan(plan, data.year, "body.year")
    activity = Activity(goal_id=goal.id, **data.model_dump())
    session.add(activity)
    await session.commit()
    return activity


async def update_activity(
    session: AsyncSession, activity_id: int, data: ActivityUpdate, actor: Principal
) -> Activity:
    activity = await get_activity(session, activity_id)
    await plans.require_scope(session, actor, activity.org_unit_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("title", "status", "progress"):
        if required in changes and changes[required] is None:
            raise InvalidFieldError(f"body.{required}", "must not be null")
    if "status" in changes:
        config = await plans.config_for_unit(session, activity.org_unit_id)
        if config.status(changes["status"]) is None:
            allowed = ", ".join(s.key for s in config.activity_statuses)
            raise InvalidFieldError("body.status", f"one of: {allowed}")
    for field, value in changes.items():
        setattr(activity, field, value)
    if activity.start_date and activity.end_date and activity.end_date < activity.start_date:
        raise InvalidFieldError("body.end_date", "must not be before start_date")
    activity.updated_at = utcnow()
    session.add(activity)
    await session.commit()
    return activity


async def list_activities(
    session: AsyncSession, goal_id: str, *, year: int | None = None
) -> Sequence[Activity]:
    await plans.get_goal(session, goal_id)
    statement = select(Activity).where(col(Activity.goal_id) == goal_id)
    if year is not None:
        statement = statement.where(col(Activity.year) == year)
    return (await session.exec(statement.order_by(col(Activity.id)))).all()


async def activities_of(
    session: AsyncSession,
    page: PageParams,
    *,
    plan_id: str | None = None,
    goal_ids: Sequence[str] | None = None,
    year: int | None = None,
    scope: ReadScope,
) -> tuple[list[Activity], str | None]:
    """Activities of many goals (a plan's, or those named), by id, one page."""
    statement = _of_goals(select(Activity), Activity.goal_id, plan_id, goal_ids, scope)
    if year is not None:
        statement = statement.where(col(Activity.year) == year)
    return await paginate(session, statement, [col(Activity.id)], page)


def completion(statuses: Counter[str], config: SteeringConfigDocument) -> Completion:
    total = sum(statuses.values())
    known = [(s.key, s.label) for s in config.activity_statuses]
    extra = [(key, key) for key in sorted(statuses) if config.status(key) is None]
    rows = []
    for key, label in known + extra:
        count = statuses.get(key, 0)
        share = percent(count, total)
        rows.append(
            StatusCount(
                status=key, label=label, count=count, percent=share, text=f"{count} st ({share} %)"
            )
        )
    return Completion(total=total, by_status=rows)


# --- the report --------------------------------------------------------------------------


def _fulfilment(goals: int, fulfilled: int, config: SteeringConfigDocument) -> Fulfilment:
    if goals == 0:
        return Fulfilment(goals=0, fulfilled=0, percent=None, result_level=None)
    share = percent(fulfilled, goals)
    return Fulfilment(
        goals=goals, fulfilled=fulfilled, percent=share, result_level=config.result_level(share)
    )


async def _measures_of(
    session: AsyncSession,
    goal_ids: SelectOfScalar[str],
    unit_id: str,
    year: int,
    until: date,
) -> dict[str, list[MeasureFollowUp]]:
    """Each goal's measures with, per series, the latest total value of the year up to
    ``until``, else the latest available one within the measure's look-back (marked with its
    own period), judged against the report year's target. A measure that names a data unit
    shows that unit's values (the municipality's Kolada values in a committee's follow-up)."""
    statement = (
        select(GoalMeasure, Measure)
        .join(Measure, col(Measure.id) == col(GoalMeasure.measure_id))
        .where(col(GoalMeasure.goal_id).in_(goal_ids))
        .order_by(col(GoalMeasure.position), col(Measure.code))
    )
    links = (await session.exec(statement)).all()
    unique = list({measure.id: measure for _, measure in links}.values())
    details = await latest.details_of(session, [measure.id for measure in unique])
    pairs = await latest.latest_pairs(session, unique, details, unit_id, year, until)
    shown: dict[str, MeasureFollowUp] = {}
    result: dict[str, list[MeasureFollowUp]] = defaultdict(list)
    for link, measure in links:
        if measure.id in shown:  # a measure of two goals of the plan
            result[link.goal_id].append(shown[measure.id])
            continue
        resolver = details[measure.id].resolver()
        series = []
        for row in details[measure.id].series:
            value = latest.latest_of_series(
                measure, pairs.get((measure.id, row.segment), ()), resolver, year=year
            )
            # Without a value: what it would be judged against, and no_value (or no_target).
            empty = measures.judge(
                measure,
                None,
                resolver.resolve(row.segment, "T", year),
                previous=None,
                baseline=None,
            )
            series.append(
                SeriesFollowUp(
                    segment=row.segment or None,
                    code=row.code,
                    baseline=measures.baseline_read(row),
                    target=value.target
                    if value is not None
                    else (measures.target_read(empty.stated) if empty.stated else None),
                    target_basis=value.target_basis if value is not None else empty.basis,
                    interim_target=value.interim_target if value is not None else empty.interim,
                    interim_op=value.interim_op if value is not None else empty.interim_op,
                    reference=value.reference if value else None,
                    reference_period=value.reference_period if value else None,
                    value=value.value if value else None,
                    text=value.text if value else None,
                    period=value.period if value else None,
                    latest_available=value is not None and value.year < year,
                    state=value.state if value else None,
                    status=value.status if value else empty.status,
                    trend=value.trend if value else None,
                    series_break=value.series_break if value else False,
                )
            )
        shown[measure.id] = MeasureFollowUp(
            id=measure.id,
            code=measure.code,
            name=measure.name,
            display_name=measure.display_name,
            unit_kind=measure.unit_kind,
            unit_label=measure.unit_label,
            decimals=measure.decimals,
            direction=measure.direction,
            values_org_unit_id=latest.values_unit(measure, unit_id),
            lookback_years=measure.lookback_years,
            series=series,
        )
        result[link.goal_id].append(shown[measure.id])
    return result


async def follow_up(
    session: AsyncSession,
    plan_id: str,
    year: int,
    period_key: str,
    *,
    org_unit_id: str | None = None,
    include_below: bool = True,
) -> FollowUpReport:
    plan = await plans.get_plan(session, plan_id)
    _in_plan(plan, year, "query.year")
    config = await plans.config_for_unit(session, plan.org_unit_id)
    period = _period(config, period_key, "query.period")
    until = period_end(period, year)
    unit_id = org_unit_id or plan.org_unit_id
    if await session.get(OrgUnit, unit_id) is None:
        raise InvalidFieldError("query.org_unit_id", f"unknown org unit {unit_id!r}")
    # Subqueries rather than lists of ids: a municipality-wide plan has a thousand goals and
    # its root two thousand units below it, which would be bound one parameter each. Rows of
    # the plan's goals outside the year's tree are read and not shown.
    units = (
        orgtree.subtree(OrgUnit, unit_id)
        if include_below
        else select(OrgUnit.id).where(col(OrgUnit.id) == unit_id)
    )
    plan_goals = select(Goal.id).where(col(Goal.plan_id) == plan.id)

    rows: list[tuple[Goal, GoalVersion]] = await plans.goals_in_year(session, plan.id, year)
    current: dict[str, dict[str, Assessment]] = defaultdict(dict)
    assessed = select(Assessment).where(
        col(Assessment.goal_id).in_(plan_goals),
        col(Assessment.year) == year,
        col(Assessment.period) == period.key,
    )
    for assessment in (await session.exec(assessed.order_by(col(Assessment.id)))).all():
        current[assessment.goal_id][assessment.kind] = assessment  # the latest wins
    own_activities: dict[str, Counter[str]] = defaultdict(Counter)
    done = select(Activity).where(
        col(Activity.goal_id).in_(plan_goals),
        col(Activity.year) == year,
        col(Activity.org_unit_id).in_(units),
    )
    for activity in (await session.exec(done)).all():
        own_activities[activity.goal_id][activity.status] += 1
    goal_measures = await _measures_of(session, plan_goals, unit_id, year, until)

    versions = {goal.id: version for goal, version in rows}
    children: dict[str | None, list[Goal]] = defaultdict(list)
    for goal, version in rows:
        parent = version.parent_id if version.parent_id in versions else None
        children[parent].append(goal)

    # Most goals have the same counts (none, in a plan without activities): one Completion
    # per distinct counts, shared by the goals that have them.
    completions: dict[frozenset[tuple[str, int]], Completion] = {}

    def completed(statuses: Counter[str]) -> Completion:
        key = frozenset(statuses.items())
        if key not in completions:
            completions[key] = completion(statuses, config)
        return completions[key]

    def build(goal: Goal, inherited_tag: str | None) -> tuple[GoalFollowUp, Counter[str], int, int]:
        version = versions[goal.id]
        tag = version.follow_up_tag or inherited_tag
        reported = not period.tags or tag is None or tag in period.tags
        level = config.level(goal.level)
        judged = current.get(goal.id, {})
        final = judged.get(AssessmentKind.FINAL)
        forecast = judged.get(AssessmentKind.FORECAST)
        assessment = final or forecast
        counts_in_rollup = bool(level and level.rollup and reported)
        fulfilled = (
            (assessment is not None and assessment.answer == "Ja")
            if level and (level.rollup)
            else None
        )
        activities = Counter(own_activities.get(goal.id, Counter()))
        goals, met = (1, int(bool(fulfilled))) if counts_in_rollup else (0, 0)
        nodes = []
        for child in children.get(goal.id, []):
            node, child_activities, child_goals, child_met = build(child, tag)
            nodes.append(node)
            activities.update(child_activities)
            goals, met = goals + child_goals, met + child_met
        return (
            GoalFollowUp(
                id=goal.id,
                code=goal.code,
                level=goal.level,
                level_label=level.label if level else goal.level,
                title=version.title,
                follow_up_tag=version.follow_up_tag,
                addressed_to=list(version.addressed_to),
                reported=reported,
                assessment=AssessmentRead.model_validate(assessment) if assessment else None,
                forecast=AssessmentRead.model_validate(forecast) if forecast else None,
                fulfilled=fulfilled,
                measures=goal_measures.get(goal.id, []),
                activities=completed(activities),
                children=nodes,
            ),
            activities,
            goals,
            met,
        )

    tree: list[GoalFollowUp] = []
    areas: list[AreaRollup] = []
    all_activities: Counter[str] = Counter()
    total_goals = total_met = 0
    for root in children.get(None, []):
        node, activities, goals, met = build(root, None)
        tree.append(node)
        all_activities.update(activities)
        total_goals, total_met = total_goals + goals, total_met + met
        areas.append(
            AreaRollup(
                goal_id=node.id,
                code=node.code,
                title=node.title,
                fulfilment=_fulfilment(goals, met, config),
                activities=completed(activities),
            )
        )
    return FollowUpReport(
        plan_id=plan.id,
        plan_name=plan.name,
        org_unit_id=plan.org_unit_id,
        year=year,
        period=period.key,
        period_label=f"{period.label} {year}",
        period_kind=period.kind,
        period_end=until,
        values_org_unit_id=unit_id,
        include_below=include_below,
        rollup=Rollup(
            total=_fulfilment(total_goals, total_met, config),
            activities=completion(all_activities, config),
            areas=areas,
        ),
        publications=[
            PublicationSummary.model_validate(p)
            for p in await list_publications(session, plan.id, year=year)
        ],
        goals=tree,
    )


# --- publications ------------------------------------------------------------------------


async def publish(
    session: AsyncSession, plan_id: str, data: PublicationCreate, actor: Principal
) -> Publication:
    """Freeze the computed follow-up as reported, or record a printed headline figure."""
    plan = await plans.get_plan(session, plan_id)
    await plans.require_scope(session, actor, plan.org_unit_id)
    config = await plans.config_for_unit(session, plan.org_unit_id)
    _period(config, data.period, "body.period")
    _in_plan(plan, data.year, "body.year")
    publication = Publication(
        plan_id=plan.id,
        year=data.year,
        period=data.period,
        note=data.note,
        computed=data.printed is None,
        published_by=actor.subject,
    )
    if data.printed is None:
        report = await follow_up(session, plan.id, data.year, data.period)
        publication.percent = report.rollup.total.percent
        publication.result_level = report.rollup.total.result_level
        publication.report = report.model_dump(mode="json", exclude={"publications"})
    else:
        publication.percent = data.printed.percent
        publication.result_level = data.printed.result_level or config.result_level(
            data.printed.percent
        )
    session.add(publication)
    await session.commit()
    return publication


async def list_publications(
    session: AsyncSession, plan_id: str, *, year: int | None = None
) -> Sequence[Publication]:
    statement = select(Publication).where(col(Publication.plan_id) == plan_id)
    if year is not None:
        statement = statement.where(col(Publication.year) == year)
    return (await session.exec(statement.order_by(col(Publication.id)))).all()


async def get_publication(session: AsyncSession, publication_id: int) -> Publication:
    publication = await session.get(Publication, publication_id)
    if publication is None:
        raise NotFoundError(f"Publication {publication_id} does not exist.")
    return publication
