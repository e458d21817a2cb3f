"""The organisation: units, their levels, links and history (from the goals service).

Shaped for screens, not for REST: a unit links to its level, parent, ancestors (breadcrumbs),
children (a connection) and successor, so a front end draws a tree or a breadcrumb in one query.
Every field that needs a service call is nullable: when the call fails, the error sits at that
field and the rest of the answer still comes back.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, cast
from zoneinfo import ZoneInfo

import strawberry
from strawberry.scalars import JSON

from styr_gateway.context import Info
from styr_gateway.cost import FieldCost
from styr_gateway.errors import bad_user_input
from styr_gateway.loaders import parse
from styr_gateway.records import CaseRecord, OrgLevelRecord, OrgUnitChangeRecord, OrgUnitRecord
from styr_gateway.types import connections
from styr_gateway.types.budget import BudgetOverview
from styr_gateway.types.connections import Connection
from styr_gateway.types.deviations import Case, DeviationDateBasis, DeviationStatistics
from styr_gateway.types.goals import Plan
from styr_gateway.types.internal_control import InternalControlPlan, YearArgument, plans_of
from styr_gateway.upstream import Service

MUNICIPAL_TIME = ZoneInfo("Europe/Stockholm")
# Service field paths → the GraphQL arguments of `orgUnits`, for BAD_USER_INPUT errors.
ORG_UNITS_ARGUMENTS = {
    "query.cursor": "after",
    "query.limit": "first",
    "query.parent_id": "parentId",
    "query.as_of": "asOf",
    "query.level": "level",
    "query.code": "code",
}
CASES_ARGUMENTS = {
    "query.cursor": "after",
    "query.limit": "first",
    "query.kind": "kind",
    "query.state": "state",
    "query.year": "year",
    "query.overdue": "overdue",
}


COSTS = {
    # Weights (service calls per resolution) and list sizes of the query cost (see cost.py).
    # `once`: answered from the organisation, its feed or its levels, each read at most once
    # per request (a single lookup before that is one targeted call): see loaders.OrgLoaders.
    "Query.orgUnit": FieldCost(),
    "Query.orgUnits": FieldCost(),  # a connection: its `first` sizes it
    "Query.orgLevels": FieldCost(size=10, once=True),
    "OrgUnit.level": FieldCost(once=True),
    "OrgUnit.parent": FieldCost(once=True),
    "OrgUnit.successor": FieldCost(once=True),
    "OrgUnit.ancestors": FieldCost(size=6, once=True),  # the depth of an organisation
    "OrgUnit.descendants": FieldCost(size=100, once=True),
    "OrgUnit.children": FieldCost(once=True),  # a connection
    "OrgUnit.plans": FieldCost(size=3),  # plans covering a year
    "OrgUnit.deviationStatistics": FieldCost(),
    "OrgUnit.cases": FieldCost(),  # a connection
    "OrgUnit.history": FieldCost(size=20, once=True),
}


First = Annotated[int, strawberry.argument(description="Page size, 1 to 500.")]
After = Annotated[
    str | None, strawberry.argument(description="Start after this cursor (an edge's or endCursor).")
]


def today() -> date:
    return datetime.now(MUNICIPAL_TIME).date()


@strawberry.enum(description="What a recorded change did to a unit.")
class OrgChangeKind(Enum):
    CREATED = strawberry.enum_value("created", description="The unit was created.")
    RENAMED = strawberry.enum_value("renamed", description="The unit got a new name or code.")
    MOVED = strawberry.enum_value("moved", description="The unit got a new parent.")
    UPDATED = strawberry.enum_value("updated", description="Other fields changed.")
    CLOSED = strawberry.enum_value(
        "closed", description="The unit was closed (possibly with a successor)."
    )


@strawberry.type(description="A level of the organisation: Kommun, Nämnd, Förvaltning, …")
class OrgLevel:
    key: str = strawberry.field(description="Stable key, e.g. `committee`.")
    label: str = strawberry.field(description="Display name, e.g. `Nämnd`.")
    rank: int = strawberry.field(description="0 at the top; larger is further down.")

    @classmethod
    def from_record(cls, record: OrgLevelRecord) -> OrgLevel:
        return cls(key=record.key, label=record.label, rank=record.rank)


@strawberry.type(description="One recorded change of a unit (rename, move, closure, …).")
class OrgUnitChange:
    seq: int = strawberry.field(description="Position in the organisation's change feed.")
    kind: OrgChangeKind = strawberry.field(description="What the change did.")
    effective_from: date | None = strawberry.field(description="When the change took effect.")
    recorded_at: datetime = strawberry.field(description="When the change was recorded.")
    recorded_by: str = strawberry.field(description="Subject of the token that made it.")
    record: strawberry.Private[OrgUnitChangeRecord]

    @strawberry.field(description="The unit before; null when created.")
    def before(self) -> JSON | None:
        return cast(JSON, self.record.before)

    @strawberry.field(description="The unit after the change.")
    def after(self) -> JSON:
        return cast(JSON, self.record.after)

    @strawberry.field(description="Names of the fields that changed (all of them when created).")
    def changed_fields(self) -> list[str]:
        before, after = self.record.before, self.record.after
        if before is None:
            return sorted(after)
        return sorted(key for key in after if before.get(key) != after[key])

    @classmethod
    def from_record(cls, record: OrgUnitChangeRecord) -> OrgUnitChange:
        return cls(
            seq=record.seq,
            kind=OrgChangeKind(record.kind),
            effective_from=record.effective_from,
            recorded_at=record.recorded_at,
            recorded_by=record.recorded_by,
            record=record,
        )


@strawberry.type(
    description="An organisation unit: municipality, committee, administration, department "
    "or unit. Units are closed rather than deleted; `validFrom`/`validTo` say when one existed."
)
class OrgUnit:
    id: strawberry.ID = strawberry.field(description="Stable id, the same in every service.")
    code: str = strawberry.field(description="Human code, e.g. `VON`.")
    name: str = strawberry.field(description="The unit's current name.")
    level_key: str = strawberry.field(description="Key of the unit's level (see `level`).")
    valid_from: date | None = strawberry.field(
        description="First day the unit exists; null: always."
    )
    valid_to: date | None = strawberry.field(
        description="Last day the unit exists; null while it exists."
    )
    kolada_id: str | None = strawberry.field(description="Kolada municipality or OU id.")
    municipality_id: strawberry.ID | None = strawberry.field(
        description="The municipality the unit belongs to (its tree's root; see `municipality`)."
    )
    created_at: datetime = strawberry.field(description="When the unit was recorded.")
    updated_at: datetime = strawberry.field(description="When the unit was last changed.")
    parent_id: strawberry.Private[str | None]
    successor_id: strawberry.Private[str | None]
    record: strawberry.Private[OrgUnitRecord]

    @classmethod
    def from_record(cls, record: OrgUnitRecord) -> OrgUnit:
        return cls(
            id=strawberry.ID(record.id),
            code=record.code,
            name=record.name,
            level_key=record.level,
            valid_from=record.valid_from,
            valid_to=record.valid_to,
            kolada_id=record.kolada_id,
            municipality_id=(
                strawberry.ID(record.municipality_id) if record.municipality_id else None
            ),
            created_at=record.created_at,
            updated_at=record.updated_at,
            parent_id=record.parent_id,
            successor_id=record.successor_id,
            record=record,
        )

    @strawberry.field(description="Whether the unit exists on `asOf` (default: today).")
    def active(
        self,
        as_of: Annotated[
            date | None, strawberry.argument(description="The day asked about; default today.")
        ] = None,
    ) -> bool:
        return self.record.valid_on(as_of or today())

    @strawberry.field(
        description="The unit's level with its display label, as the unit's municipality "
        "names it (its own levels override the defaults)."
    )
    async def level(self, info: Info) -> OrgLevel | None:
        org = info.context.loaders.org
        if self.municipality_id is not None:
            levels = await org.municipality_levels.load(str(self.municipality_id))
        else:
            levels = await org.levels()
        level = levels.get(self.level_key)
        return OrgLevel.from_record(level) if level else None

    @strawberry.field(description="The unit above; null at the top.")
    async def parent(self, info: Info) -> OrgUnit | None:
        if self.parent_id is None:
            return None
        return OrgUnit.from_record(await info.context.loaders.org.unit.load(self.parent_id))

    @strawberry.field(description="The unit that took over when this one closed.")
    async def successor(self, info: Info) -> OrgUnit | None:
        if self.successor_id is None:
            return None
        return OrgUnit.from_record(await info.context.loaders.org.unit.load(self.successor_id))

    @strawberry.field(
        description="Every unit above this one, the top first (for breadcrumbs). "
        "Read from the whole organisation in one call."
    )
    async def ancestors(self, info: Info) -> list[OrgUnit] | None:
        directory = await info.context.loaders.org.directory()
        chain: list[OrgUnit] = []
        parent_id = self.parent_id
        while parent_id is not None and parent_id in directory and len(chain) < len(directory):
            parent = directory[parent_id]
            chain.append(OrgUnit.from_record(parent))
            parent_id = parent.parent_id
        return chain[::-1]

    @strawberry.field(
        description="Every unit below this one at any depth, ordered by id (for pickers and "
        "filters). Read from the whole organisation in one call."
    )
    async def descendants(
        self,
        info: Info,
        as_of: Annotated[
            date | None,
            strawberry.argument(description="Only units that exist on this day; all when null."),
        ] = None,
    ) -> list[OrgUnit] | None:
        directory = await info.context.loaders.org.directory()
        below: dict[str, list[OrgUnitRecord]] = {}
        for unit in directory.values():
            if unit.parent_id is not None:
                below.setdefault(unit.parent_id, []).append(unit)
        found: list[OrgUnitRecord] = []
        pending = [str(self.id)]
        seen = set(pending)
        while pending:
            for child in below.get(pending.pop(), []):
                if child.id not in seen:  # a cycle in bad data must not loop forever
                    seen.add(child.id)
                    found.append(child)
                    pending.append(child.id)
        if as_of is not None:
            found = [unit for unit in found if unit.valid_on(as_of)]
        return [OrgUnit.from_record(unit) for unit in sorted(found, key=lambda unit: unit.id)]

    @strawberry.field(description="The units directly below, ordered by id.")
    async def children(
        self,
        info: Info,
        as_of: Annotated[
            date | None,
            strawberry.argument(description="Only units that exist on this day; all when null."),
        ] = None,
        first: First = 100,
        after: After = None,
    ) -> Connection[OrgUnit] | None:
        connections.check_first(first)
        children = await info.context.loaders.org.children.load(str(self.id))
        if as_of is not None:
            children = [child for child in children if child.valid_on(as_of)]
        return connections.from_list(
            [OrgUnit.from_record(child) for child in children],
            key=lambda unit: str(unit.id),
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The unit's plans, oldest first; with `year`, those covering that year. "
        "Plans of many units cost one call."
    )
    async def plans(
        self,
        info: Info,
        year: Annotated[
            int | None, strawberry.argument(description="Only plans covering this year.")
        ] = None,
    ) -> list[Plan] | None:
        plans = await info.context.loaders.goals.plans.load((str(self.id), year))
        return [Plan.of(plan) for plan in plans]

    @strawberry.field(
        description="The unit's internal control plans (intern kontroll), one per year; with "
        "`year`, that year's."
    )
    async def internal_control_plans(
        self, info: Info, year: YearArgument = None
    ) -> list[InternalControlPlan] | None:
        return await plans_of(info, str(self.id), year)

    @strawberry.field(
        description="The budget follow-up of the unit and everything below it for a year, up "
        "to month `period` (12: the whole year). Each part is fetched when asked for."
    )
    def budget(
        self,
        year: Annotated[int, strawberry.argument(description="The fiscal year.")],
        period: Annotated[int, strawberry.argument(description="Last month, 1-12.")] = 12,
    ) -> BudgetOverview | None:
        if not 1 <= period <= 12:
            raise bad_user_input("must be between 1 and 12", "period")
        return BudgetOverview(org_unit_id=self.id, year=year, period=period)

    @strawberry.field(
        description="Deviation and complaint statistics of the unit's subtree in a year (all "
        "years when null), limited by the service to what the caller may see."
    )
    async def deviation_statistics(
        self,
        info: Info,
        year: Annotated[
            int | None,
            strawberry.argument(description="The year (of registration, or as `dateBasis` says)."),
        ] = None,
        date_basis: Annotated[
            DeviationDateBasis,
            strawberry.argument(description="Which date puts a case in a year and month."),
        ] = DeviationDateBasis.REGISTRATION,
    ) -> DeviationStatistics | None:
        key = (str(self.id), year, date_basis.service_value)
        record = await info.context.loaders.deviations.statistics.load(key)
        return DeviationStatistics.of(record)

    @strawberry.field(
        description="Deviation and complaint cases of the unit and everything below it, in the "
        "service's order (by id), as far as the caller may see them (the service decides: a caller "
        "without access gets FORBIDDEN here)."
    )
    async def cases(
        self,
        info: Info,
        kind: Annotated[str | None, strawberry.argument(description="E.g. `complaint`.")] = None,
        state: Annotated[
            str | None, strawberry.argument(description="Only cases in this workflow state.")
        ] = None,
        year: Annotated[
            int | None, strawberry.argument(description="Only cases registered this year.")
        ] = None,
        overdue: Annotated[
            bool | None, strawberry.argument(description="Only (not) overdue cases.")
        ] = None,
        first: First = 50,
        after: After = None,
    ) -> Connection[Case] | None:
        connections.check_first(first)
        page_cursor, skip = connections.upstream_position(after)
        items, next_cursor = await info.context.upstream.page(
            Service.DEVIATIONS,
            "/api/v1/cases",
            {
                "org_unit_id": str(self.id),
                "kind": kind,
                "state": state,
                "year": year,
                "overdue": None if overdue is None else str(overdue).lower(),
                "cursor": page_cursor,
                "limit": min(skip + first, connections.MAX_FIRST),
            },
            field_names=CASES_ARGUMENTS,
        )
        return connections.from_upstream_page(
            [Case.of(parse(CaseRecord, Service.DEVIATIONS, item)) for item in items],
            page_cursor,
            skip,
            next_cursor,
            first,
        )

    @strawberry.field(description="Every recorded change of the unit, oldest first.")
    async def history(self, info: Info) -> list[OrgUnitChange] | None:
        changes = await info.context.loaders.org.history.load(str(self.id))
        return [OrgUnitChange.from_record(change) for change in changes]


@strawberry.type
class OrgUnitQueries:
    @strawberry.field(description="One org unit by id; a NOT_FOUND error when there is none.")
    async def org_unit(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The org unit's id, e.g. `oxelosund-von`."),
        ],
    ) -> OrgUnit | None:
        return OrgUnit.from_record(await info.context.loaders.org.unit.load(str(id)))

    @strawberry.field(description="Org units, filtered, ordered by id.")
    async def org_units(
        self,
        info: Info,
        level: Annotated[str | None, strawberry.argument(description="A level key.")] = None,
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the units directly below this one."),
        ] = None,
        code: Annotated[
            str | None, strawberry.argument(description="Only units with this code.")
        ] = None,
        as_of: Annotated[
            date | None, strawberry.argument(description="Only units that exist on this day.")
        ] = None,
        first: First = 50,
        after: After = None,
    ) -> Connection[OrgUnit] | None:
        connections.check_first(first)
        page_cursor, skip = connections.upstream_position(after)
        items, next_cursor = await info.context.upstream.page(
            Service.GOALS,
            "/api/v1/org-units",
            {
                "level": level,
                "parent_id": parent_id,
                "code": code,
                "as_of": as_of.isoformat() if as_of else None,
                "cursor": page_cursor,
                "limit": min(skip + first, connections.MAX_FIRST),
            },
            field_names=ORG_UNITS_ARGUMENTS,
        )
        records = [parse(OrgUnitRecord, Service.GOALS, item) for item in items]
        info.context.loaders.org.remember(records)
        return connections.from_upstream_page(
            [OrgUnit.from_record(record) for record in records],
            page_cursor,
            skip,
            next_cursor,
            first,
        )

    @strawberry.field(description="The organisation's levels, the top first.")
    async def org_levels(self, info: Info) -> list[OrgLevel] | None:
        levels = await info.context.loaders.org.levels()
        return [OrgLevel.from_record(level) for level in sorted(levels.values(), key=_rank)]


def _rank(level: OrgLevelRecord) -> int:
    return level.rank
