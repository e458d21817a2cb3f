"""Request-scoped DataLoaders: the number of service calls follows the query's shape.

Every GraphQL request gets fresh loaders (:class:`Loaders`, built in the context), so nothing is
cached between callers with different tokens. A resolver asks a loader for one key; the loader
collects the keys asked for in the same tick and fetches them together.

How a batch is fetched depends on what the service offers. The goals service has no
"many units by id" or "children of many parents" endpoint yet, so the org loaders do this:

- a batch of **one** key uses the targeted endpoint (``/org-units/{id}``,
  ``/org-units?parent_id=``, ``/org-units/{id}/history``): cheap for the common single lookup;
- a batch of **several** keys reads the whole list once for the request (the *directory*:
  ``/org-units`` in pages of 500; the *feed*: ``/org-units/changes``) and answers every later
  batch from it. An organisation has hundreds of units, not millions, so this is one or two
  calls however many units the query touches.

When the goals service gets batch filters (``?id=a&id=b``, ``?parent_id=a&parent_id=b``), only
the ``_load_*`` functions here change. Loaders for budget and deviations follow the same
pattern: one ``DataLoader`` per kind of key, a batch function calling the service's batch
endpoint, values in the order of the keys, a per-key exception for keys the service lacks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from strawberry.dataloader import DataLoader

from styr_gateway.errors import ErrorCode, UpstreamError, unavailable
from styr_gateway.records import (
    ActivityRecord,
    AssessmentRecord,
    CaseHistoryList,
    CaseHistoryRecord,
    CaseRecord,
    DeficitList,
    DeficitRecord,
    FeedPage,
    FollowUpRecord,
    GoalFollowUpRecord,
    GoalNodeRecord,
    GoalRecord,
    GoalTree,
    InvestmentTotalsRecord,
    MeasureFollowUpRecord,
    MeasureRecord,
    MeasureValuesRecord,
    OrgLevelList,
    OrgLevelRecord,
    OrgUnitChangeList,
    OrgUnitChangeRecord,
    OrgUnitRecord,
    PlanRecord,
    StatisticsRecord,
    SummaryRecord,
    ValueRecord,
)
from styr_gateway.upstream import Service, UpstreamSession

if TYPE_CHECKING:
    from styr_gateway.internal_control import InternalControlLoaders

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
K = TypeVar("K")

UNITS = "/api/v1/org-units"
FEED_LIMIT = 1000
MAX_IDS = 100
"""Most ids the services take in one list filter (``?id=a&id=b``)."""
# The shape of the goals service's unit ids; anything else cannot exist, so no call is made.
UNIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The shape of its plan, goal and measure ids (which its ``id`` filters insist on).
SLUG_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def parse(model: type[R], service: Service, data: Any) -> R:
    """A service's JSON as a record; a shape we do not understand is the service's fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise unavailable(service, f"answered with an unexpected shape ({model.__name__})") from exc


def unit_not_found(unit_id: str) -> UpstreamError:
    return UpstreamError(
        f"Org unit {unit_id!r} does not exist.",
        ErrorCode.NOT_FOUND,
        service=Service.GOALS,
        status=404,
    )


def not_found(service: Service, what: str, key: object) -> UpstreamError:
    return UpstreamError(
        f"{what} {key!r} does not exist or is not visible to you.",
        ErrorCode.NOT_FOUND,
        service=service,
        status=404,
    )


async def by_ids(
    session: UpstreamSession,
    service: Service,
    path: str,
    model: type[R],
    ids: Sequence[str | int],
    key: Callable[[R], str | int],
) -> dict[str | int, R]:
    """The records of ``ids`` from a list endpoint's ``id`` filter: one call per hundred ids
    (all concurrent); an id the service does not list is missing from the answer, and a text
    id of a shape no such id has is not asked for (the filter would refuse the whole call)."""
    wanted = [i for i in ids if not isinstance(i, str) or SLUG_ID.match(i)]
    chunks = [list(wanted[start : start + MAX_IDS]) for start in range(0, len(wanted), MAX_IDS)]
    pages = await asyncio.gather(
        *(session.all_items(service, path, {"id": chunk}) for chunk in chunks)
    )
    records = (parse(model, service, item) for items in pages for item in items)
    return {key(record): record for record in records}


class Once(Generic[T]):
    """An awaitable computed at most once per request, shared by concurrent callers."""

    def __init__(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._factory = factory
        self._task: asyncio.Task[T] | None = None

    @property
    def started(self) -> bool:
        return self._task is not None

    async def get(self) -> T:
        if self._task is None:
            self._task = asyncio.create_task(self._factory())
        # Shielded: one cancelled resolver must not cancel the fetch the others wait for.
        return await asyncio.shield(self._task)


class OrgLoaders:
    """Org units, levels and change history from the goals service."""

    def __init__(self, session: UpstreamSession) -> None:
        self._session = session
        self._directory = Once(self._fetch_directory)
        self._feed = Once(self._fetch_feed)
        self._levels = Once(self._fetch_levels)
        self.municipality_levels = DataLoader[str, dict[str, OrgLevelRecord]](
            self._load_municipality_levels
        )
        self.unit = DataLoader[str, OrgUnitRecord](self._load_units)
        self.children = DataLoader[str, list[OrgUnitRecord]](self._load_children)
        self.history = DataLoader[str, list[OrgUnitChangeRecord]](self._load_history)

    def remember(self, units: Sequence[OrgUnitRecord]) -> None:
        """Units fetched elsewhere (a list page) answer later lookups by id."""
        self.unit.prime_many({unit.id: unit for unit in units})

    async def directory(self) -> dict[str, OrgUnitRecord]:
        return await self._directory.get()

    async def levels(self) -> dict[str, OrgLevelRecord]:
        return await self._levels.get()

    async def _fetch_directory(self) -> dict[str, OrgUnitRecord]:
        items = await self._session.all_items(Service.GOALS, UNITS)
        units = [parse(OrgUnitRecord, Service.GOALS, item) for item in items]
        return {unit.id: unit for unit in sorted(units, key=lambda unit: unit.id)}

    async def _fetch_levels(self) -> dict[str, OrgLevelRecord]:
        items = await self._session.get(Service.GOALS, "/api/v1/org-levels")
        levels = parse(OrgLevelList, Service.GOALS, items).root
        return {level.key: level for level in levels}

    async def _load_municipality_levels(
        self, municipalities: list[str]
    ) -> list[dict[str, OrgLevelRecord]]:
        """Each municipality's effective levels (the defaults, overridden and extended by its
        own): one call per municipality a request meets, few in any deployment."""

        async def one(municipality: str) -> dict[str, OrgLevelRecord]:
            path = f"/api/v1/municipalities/{quote(municipality, safe='')}/org-levels"
            items = await self._session.get(Service.GOALS, path)
            return {level.key: level for level in parse(OrgLevelList, Service.GOALS, items).root}

        return list(await asyncio.gather(*(one(m) for m in municipalities)))

    async def _fetch_feed(self) -> dict[str, list[OrgUnitChangeRecord]]:
        history: dict[str, list[OrgUnitChangeRecord]] = {}
        after = "0"
        for _ in range(1000):
            data = await self._session.get(
                Service.GOALS, f"{UNITS}/changes", {"after": after, "limit": FEED_LIMIT}
            )
            page = parse(FeedPage, Service.GOALS, data)
            for change in page.items:
                history.setdefault(change.unit_id, []).append(change)
            after = page.cursor
            if not page.has_more:
                return history
        raise unavailable(Service.GOALS, "the org change feed does not end")

    async def _load_units(self, ids: list[str]) -> list[OrgUnitRecord | BaseException]:
        if len(ids) == 1 and not self._directory.started:
            (unit_id,) = ids
            if not UNIT_ID.match(unit_id):
                return [unit_not_found(unit_id)]
            data = await self._session.get(Service.GOALS, f"{UNITS}/{quote(unit_id, safe='')}")
            return [parse(OrgUnitRecord, Service.GOALS, data)]
        directory = await self.directory()
        return [directory.get(unit_id) or unit_not_found(unit_id) for unit_id in ids]

    async def _load_children(self, parent_ids: list[str]) -> list[list[OrgUnitRecord]]:
        if len(parent_ids) == 1 and not self._directory.started:
            items = await self._session.all_items(
                Service.GOALS, UNITS, {"parent_id": parent_ids[0]}
            )
            children = sorted(
                (parse(OrgUnitRecord, Service.GOALS, item) for item in items),
                key=lambda unit: unit.id,
            )
            self.remember(children)
            return [children]
        by_parent: dict[str, list[OrgUnitRecord]] = {}
        for unit in (await self.directory()).values():  # ordered by id
            if unit.parent_id is not None:
                by_parent.setdefault(unit.parent_id, []).append(unit)
        return [by_parent.get(parent_id, []) for parent_id in parent_ids]

    async def _load_history(self, unit_ids: list[str]) -> list[list[OrgUnitChangeRecord]]:
        if len(unit_ids) == 1 and not self._feed.started:
            path = f"{UNITS}/{quote(unit_ids[0], safe='')}/history"
            items = await self._session.get(Service.GOALS, path)
            return [parse(OrgUnitChangeList, Service.GOALS, items).root]
        history = await self._feed.get()
        return [history.get(unit_id, []) for unit_id in unit_ids]


PlansKey = tuple[str, int | None]
"""(org unit id, year or None)."""
TreeKey = tuple[str, int]
"""(plan id, year)."""
FollowUpKey = tuple[str, int, str, str | None]
"""(plan id, year, period key, org unit id whose values or None for the plan's unit)."""
ValuesKey = tuple[str, str, str, int]
"""(plan id, measure id, org unit id, year)."""
GoalYearKey = tuple[str, str, int]
"""(plan id, goal id, year)."""
GoalItem = TypeVar("GoalItem", AssessmentRecord, ActivityRecord)


@dataclass(frozen=True)
class FollowUp:
    """A plan's follow-up report with its goals and measures indexed by id."""

    record: FollowUpRecord
    goals: dict[str, GoalFollowUpRecord]
    measures: dict[str, MeasureFollowUpRecord]

    @classmethod
    def of(cls, record: FollowUpRecord) -> FollowUp:
        goals = record.goal_index()
        measures = {m.id: m for goal in goals.values() for m in goal.measures}
        return cls(record, goals, measures)


class GoalLoaders:
    """Plans, goal trees, measures, values and follow-up reports from the goals service.

    What is batched and how (the goals service has list filters but no "many ids" endpoints):

    - plans of several units: one ``/plans?year=`` read, grouped by unit (one key: the
      targeted ``/plans?org_unit_id=&year=``);
    - measures of any number of goals: one ``/measures?plan_id=`` read per plan, grouped by
      goal;
    - latest values, targets, statuses, trends, assessments and activity completion of every
      goal and measure of a plan: the plan's follow-up report, one call per plan and period;
    - value series (``Measure.values``) of every measure and year asked for at one level: one
      ``/measure-values?plan_id=&org_unit_id=&year=…`` read per plan and unit (all the years in
      it, each evaluated as for one year);
    - assessment histories and activity lists of every goal at one level: one
      ``/assessments?plan_id=&year=`` (``/activities``) read per plan and year.
    """

    def __init__(self, session: UpstreamSession) -> None:
        self._session = session
        self.plan = DataLoader[str, PlanRecord](self._load_plans_by_id)
        self.goal = DataLoader[str, GoalRecord](self._load_goals_by_id)
        """Goals by id with their plan (``GET /goals?id=``): for entity references."""
        self.measure = DataLoader[str, MeasureRecord](self._load_measures_by_id)
        """Measures by id (``GET /measures?id=``): for entity references."""
        self.plans = DataLoader[PlansKey, list[PlanRecord]](self._load_plans)
        self.tree = DataLoader[TreeKey, list[GoalNodeRecord]](self._load_trees)
        self.measures = DataLoader[str, list[MeasureRecord]](self._load_measures)
        self.follow_up = DataLoader[FollowUpKey, FollowUp](self._load_follow_ups)
        self.values = DataLoader[ValuesKey, list[ValueRecord]](self._load_values)
        self.assessments = DataLoader[GoalYearKey, list[AssessmentRecord]](self._load_assessments)
        self.activities = DataLoader[GoalYearKey, list[ActivityRecord]](self._load_activities)

    async def _plans(self, params: dict[str, str | int | None]) -> list[PlanRecord]:
        items = await self._session.all_items(Service.GOALS, "/api/v1/plans", params)
        plans = [parse(PlanRecord, Service.GOALS, item) for item in items]
        self.plan.prime_many({plan.id: plan for plan in plans})
        return sorted(plans, key=lambda plan: (plan.start_year, plan.id))

    async def _load_plans(self, keys: list[PlansKey]) -> list[list[PlanRecord]]:
        if len(keys) == 1:
            unit_id, year = keys[0]
            return [await self._plans({"org_unit_id": unit_id, "year": year})]
        years = sorted({year for _, year in keys}, key=lambda year: year or 0)
        fetched = await asyncio.gather(*(self._plans({"year": year}) for year in years))
        by_year = dict(zip(years, fetched, strict=True))
        return [
            [plan for plan in by_year[year] if plan.org_unit_id == unit_id]
            for unit_id, year in keys
        ]

    async def _load_plans_by_id(self, ids: list[str]) -> list[PlanRecord | BaseException]:
        # One plan: the targeted call (its 404 says what is wrong); several: `?id=` in one call
        # per hundred.
        if len(ids) == 1:
            try:
                data = await self._session.get(
                    Service.GOALS, f"/api/v1/plans/{quote(ids[0], safe='')}"
                )
            except UpstreamError as exc:
                return [exc]
            return [parse(PlanRecord, Service.GOALS, data)]
        try:
            found = await by_ids(
                self._session, Service.GOALS, "/api/v1/plans", PlanRecord, ids, lambda p: p.id
            )
        except UpstreamError as exc:
            return [exc] * len(ids)
        return [found.get(plan_id) or not_found(Service.GOALS, "Plan", plan_id) for plan_id in ids]

    async def _load_goals_by_id(self, ids: list[str]) -> list[GoalRecord | BaseException]:
        try:
            found = await by_ids(
                self._session, Service.GOALS, "/api/v1/goals", GoalRecord, ids, lambda g: g.id
            )
        except UpstreamError as exc:
            return [exc] * len(ids)
        return [found.get(goal_id) or not_found(Service.GOALS, "Goal", goal_id) for goal_id in ids]

    async def _load_measures_by_id(self, ids: list[str]) -> list[MeasureRecord | BaseException]:
        try:
            found = await by_ids(
                self._session,
                Service.GOALS,
                "/api/v1/measures",
                MeasureRecord,
                ids,
                lambda m: m.id,
            )
        except UpstreamError as exc:
            return [exc] * len(ids)
        return [
            found.get(measure_id) or not_found(Service.GOALS, "Measure", measure_id)
            for measure_id in ids
        ]

    async def _load_trees(self, keys: list[TreeKey]) -> list[list[GoalNodeRecord] | BaseException]:
        async def one(key: TreeKey) -> list[GoalNodeRecord] | BaseException:
            plan_id, year = key
            try:
                data = await self._session.get(
                    Service.GOALS,
                    f"/api/v1/plans/{quote(plan_id, safe='')}/goals",
                    {"year": year},
                    field_names={"query.year": "year"},
                )
            except UpstreamError as exc:
                return exc
            return parse(GoalTree, Service.GOALS, data).root

        return list(await asyncio.gather(*(one(key) for key in keys)))

    async def _load_measures(self, plan_ids: list[str]) -> list[list[MeasureRecord]]:
        async def one(plan_id: str) -> list[MeasureRecord]:
            items = await self._session.all_items(
                Service.GOALS, "/api/v1/measures", {"plan_id": plan_id}
            )
            measures = [parse(MeasureRecord, Service.GOALS, item) for item in items]
            return sorted(measures, key=lambda measure: (measure.code, measure.id))

        return list(await asyncio.gather(*(one(plan_id) for plan_id in plan_ids)))

    async def _load_follow_ups(self, keys: list[FollowUpKey]) -> list[FollowUp | BaseException]:
        async def one(key: FollowUpKey) -> FollowUp | BaseException:
            plan_id, year, period, unit_id = key
            try:
                data = await self._session.get(
                    Service.GOALS,
                    f"/api/v1/plans/{quote(plan_id, safe='')}/follow-up",
                    {"year": year, "period": period, "org_unit_id": unit_id},
                    field_names=FOLLOW_UP_ARGUMENTS,
                )
            except UpstreamError as exc:
                return exc
            return FollowUp.of(parse(FollowUpRecord, Service.GOALS, data))

        return list(await asyncio.gather(*(one(key) for key in keys)))

    async def _load_values(self, keys: list[ValuesKey]) -> list[list[ValueRecord] | BaseException]:
        # One call per plan and unit for every measure and year asked for at this level.
        async def fetch(
            plan_id: str, unit_id: str, years: list[int]
        ) -> dict[str, list[ValueRecord]]:
            items = await self._session.all_items(
                Service.GOALS,
                "/api/v1/measure-values",
                {"plan_id": plan_id, "org_unit_id": unit_id, "year": years},
            )
            found = [parse(MeasureValuesRecord, Service.GOALS, item) for item in items]
            return {record.measure_id: record.values for record in found}

        groups: dict[tuple[str, str], list[int]] = {}
        for plan_id, _, unit_id, year in keys:
            years = groups.setdefault((plan_id, unit_id), [])
            if year not in years:
                years.append(year)
        fetched = await _gather_groups(
            {group: fetch(*group, sorted(years)) for group, years in groups.items()}
        )

        def answer(key: ValuesKey) -> list[ValueRecord] | BaseException:
            plan_id, measure_id, unit_id, year = key
            values = fetched[(plan_id, unit_id)]
            if isinstance(values, BaseException):
                return values
            return [value for value in values.get(measure_id, []) if value.year == year]

        return [answer(key) for key in keys]

    async def _load_assessments(
        self, keys: list[GoalYearKey]
    ) -> list[list[AssessmentRecord] | BaseException]:
        return await self._per_plan(keys, "/api/v1/assessments", AssessmentRecord)

    async def _load_activities(
        self, keys: list[GoalYearKey]
    ) -> list[list[ActivityRecord] | BaseException]:
        return await self._per_plan(keys, "/api/v1/activities", ActivityRecord)

    async def _per_plan(
        self, keys: list[GoalYearKey], path: str, model: type[GoalItem]
    ) -> list[list[GoalItem] | BaseException]:
        """One read of ``path`` per plan and year for all the goals asked for at this level."""

        async def fetch(plan_id: str, year: int) -> dict[str, list[GoalItem]]:
            items = await self._session.all_items(
                Service.GOALS, path, {"plan_id": plan_id, "year": year}
            )
            by_goal: dict[str, list[GoalItem]] = {}
            for item in items:
                record = parse(model, Service.GOALS, item)
                by_goal.setdefault(record.goal_id, []).append(record)
            return by_goal

        groups = {(plan_id, year) for plan_id, _, year in keys}
        fetched = await _gather_groups({group: fetch(*group) for group in groups})

        def answer(key: GoalYearKey) -> list[GoalItem] | BaseException:
            plan_id, goal_id, year = key
            found = fetched[(plan_id, year)]
            return found if isinstance(found, BaseException) else found.get(goal_id, [])

        return [answer(key) for key in keys]


G = TypeVar("G")


async def _gather_groups(
    calls: dict[G, Coroutine[Any, Any, T]],
) -> dict[G, T | BaseException]:
    """Run one call per group concurrently; a failed call answers every key of its group."""

    async def one(call: Coroutine[Any, Any, T]) -> T | BaseException:
        try:
            return await call
        except UpstreamError as exc:
            return exc

    results = await asyncio.gather(*(one(call) for call in calls.values()))
    return dict(zip(calls, results, strict=True))


BudgetKey = tuple[str, int, int | None]
"""(org unit id, year, month or None)."""


class BudgetLoaders:
    """Summaries, investment totals and deficits from the budget service.

    The budget service answers one subtree per call (``/summaries?org_unit=``), so a query for
    the budget of N units costs N calls per kind of figure; the dashboard asks for one unit. A
    batch would need ``/summaries?org_unit=a&org_unit=b`` (see the README).
    """

    def __init__(self, session: UpstreamSession) -> None:
        self._session = session
        self.summary = DataLoader[tuple[str, int, int, str], SummaryRecord](self._load_summaries)
        self.investments = DataLoader[tuple[str, int], InvestmentTotalsRecord](
            self._load_investments
        )
        self.deficits = DataLoader[BudgetKey, list[DeficitRecord]](self._load_deficits)

    async def _each(
        self, keys: list[K], fetch: Callable[[K], Coroutine[Any, Any, T]]
    ) -> list[T | BaseException]:
        async def one(key: K) -> T | BaseException:
            try:
                return await fetch(key)
            except UpstreamError as exc:
                return exc

        return list(await asyncio.gather(*(one(key) for key in keys)))

    async def _load_summaries(
        self, keys: list[tuple[str, int, int, str]]
    ) -> list[SummaryRecord | BaseException]:
        async def fetch(key: tuple[str, int, int, str]) -> SummaryRecord:
            unit_id, year, period, group_by = key
            data = await self._session.get(
                Service.BUDGET,
                "/api/v1/summaries",
                {"org_unit": unit_id, "year": year, "period": period, "group_by": group_by},
                field_names=BUDGET_ARGUMENTS,
            )
            return parse(SummaryRecord, Service.BUDGET, data)

        return await self._each(keys, fetch)

    async def _load_investments(
        self, keys: list[tuple[str, int]]
    ) -> list[InvestmentTotalsRecord | BaseException]:
        async def fetch(key: tuple[str, int]) -> InvestmentTotalsRecord:
            data = await self._session.get(
                Service.BUDGET,
                "/api/v1/investments/totals",
                {"org_unit": key[0], "year": key[1]},
                field_names=BUDGET_ARGUMENTS,
            )
            return parse(InvestmentTotalsRecord, Service.BUDGET, data)

        return await self._each(keys, fetch)

    async def _load_deficits(
        self, keys: list[BudgetKey]
    ) -> list[list[DeficitRecord] | BaseException]:
        async def fetch(key: BudgetKey) -> list[DeficitRecord]:
            unit_id, year, month = key
            data = await self._session.get(
                Service.BUDGET,
                "/api/v1/deficits",
                {"committee_id": unit_id, "year": year, "month": month},
                field_names={**BUDGET_ARGUMENTS, "query.month": "month"},
            )
            return parse(DeficitList, Service.BUDGET, data).root

        return await self._each(keys, fetch)


class DeviationLoaders:
    """Statistics from the deviations service (one call per unit and year range)."""

    def __init__(self, session: UpstreamSession) -> None:
        self._session = session
        self.statistics = DataLoader[tuple[str, int | None, str], StatisticsRecord](
            self._load_statistics
        )
        self.history = DataLoader[int, list[CaseHistoryRecord]](self._load_history)
        self.case = DataLoader[int, CaseRecord](self._load_cases)
        """Cases by id (``GET /cases?id=``, which leaves out what the caller may not see)."""

    async def _load_cases(self, case_ids: list[int]) -> list[CaseRecord | BaseException]:
        try:
            found = await by_ids(
                self._session,
                Service.DEVIATIONS,
                "/api/v1/cases",
                CaseRecord,
                case_ids,
                lambda case: case.id,
            )
        except UpstreamError as exc:
            return [exc] * len(case_ids)
        return [
            found.get(case_id) or not_found(Service.DEVIATIONS, "Case", case_id)
            for case_id in case_ids
        ]

    async def _load_history(
        self, case_ids: list[int]
    ) -> list[list[CaseHistoryRecord] | BaseException]:
        # No history of many cases at once: one call per case (a detail view shows one).
        async def one(case_id: int) -> list[CaseHistoryRecord] | BaseException:
            try:
                data = await self._session.get(
                    Service.DEVIATIONS, f"/api/v1/cases/{case_id}/history"
                )
            except UpstreamError as exc:
                return exc
            return parse(CaseHistoryList, Service.DEVIATIONS, data).root

        return list(await asyncio.gather(*(one(case_id) for case_id in case_ids)))

    async def _load_statistics(
        self, keys: list[tuple[str, int | None, str]]
    ) -> list[StatisticsRecord | BaseException]:
        async def one(key: tuple[str, int | None, str]) -> StatisticsRecord | BaseException:
            unit_id, year, date_basis = key
            params: dict[str, Any] = {"org_unit_id": unit_id, "from_year": year, "to_year": year}
            if date_basis != "registration":  # the service's default
                params["date_basis"] = date_basis
            try:
                data = await self._session.get(
                    Service.DEVIATIONS,
                    "/api/v1/statistics",
                    params,
                    field_names={
                        "query.from_year": "year",
                        "query.to_year": "year",
                        "query.date_basis": "dateBasis",
                    },
                )
            except UpstreamError as exc:
                return exc
            return parse(StatisticsRecord, Service.DEVIATIONS, data)

        return list(await asyncio.gather(*(one(key) for key in keys)))


BUDGET_ARGUMENTS = {"query.year": "year", "query.period": "period", "query.org_unit": "id"}
FOLLOW_UP_ARGUMENTS = {
    "query.year": "year",
    "query.period": "period",
    "query.org_unit_id": "orgUnitId",
}


@dataclass
class Loaders:
    """Every loader of one GraphQL request, grouped by domain."""

    org: OrgLoaders
    goals: GoalLoaders
    budget: BudgetLoaders
    deviations: DeviationLoaders
    internal_control: InternalControlLoaders

    @classmethod
    def for_session(cls, session: UpstreamSession) -> Loaders:
        # Imported here: that module builds on this one's helpers.
        from styr_gateway.internal_control import InternalControlLoaders

        return cls(
            org=OrgLoaders(session),
            goals=GoalLoaders(session),
            budget=BudgetLoaders(session),
            deviations=DeviationLoaders(session),
            internal_control=InternalControlLoaders(session),
        )
