"""Statistics over cases: counts by year, category × month, org unit, kind, law area and
housing type; Lex Maria reports; time to answer and to close; overdue counts.

Rows are filtered in SQL and grouped here, because months and years are Swedish calendar
months (Europe/Stockholm), which SQLite and PostgreSQL cannot compute the same way. One
municipality has thousands of cases a year, so this stays cheap.

Callers without case access (readers, planners, controllers) get small counts suppressed
(the threshold is the municipality's, see ``casesettings``): 1 up to the threshold minus one
is shown as ``"<5"``; zero stays 0 (it identifies no one);
and counts from which a hidden one could be worked out are hidden too (``"x"``, see
:mod:`styr_deviations.statistics.suppression`).
"""

from __future__ import annotations

import statistics as stats
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import Case
from styr_deviations.cases.service import is_overdue
from styr_deviations.casesettings import service as casesettings
from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS
from styr_deviations.config import LOCAL_TIME, CaseKind, DateBasis, LawArea, local_date
from styr_deviations.statistics import breakdowns
from styr_deviations.statistics.schemas import (
    Duration,
    Statistics,
    WithheldBreakdown,
)
from styr_deviations.statistics.suppression import CellId, Relation, Suppression
from styr_deviations.statistics.tables import Table, group
from styr_shared import orgtree, tenancy
from styr_shared.auth import Principal
from styr_shared.errors import ForbiddenError, NotFoundError
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.types import utcnow

Count = int | str
COLUMNS = (
    "kind",
    "law_area",
    "category",
    "housing_type",
    "org_unit_id",
    "state",
    "reported_at",
    "received_at",
    "answered_at",
    "closed_at",
    "due_date",
    "deadline_milestone",
    "lm_ivo_report_date",
    "ls_ivo_report_date",
    "event_time",
    "channel",
    "regime",
    "mas_took_over",
    "external_direction",
    "investigation_outcome",
)


class _Suppressor:
    def __init__(self, threshold: int, active: bool) -> None:
        self.threshold, self.active = threshold, active

    def count(self, value: int) -> Count:
        if self.active and 0 < value < self.threshold:
            return f"<{self.threshold}"
        return value

    def duration(self, days: list[int], deadline_met: int | None = None) -> Duration:
        hidden = self.active and len(days) < self.threshold
        return Duration(
            count=self.count(len(days)),
            mean_days=None if hidden or not days else round(stats.fmean(days), 1),
            median_days=None if hidden or not days else float(stats.median(days)),
            max_days=None if hidden or not days else max(days),
            within_deadline=None if deadline_met is None else self.count(deadline_met),
        )


async def _threshold(
    session: AsyncSession, principal: Principal, municipalities: set[str] | None
) -> int:
    """The suppression threshold of the answer: its municipality's, or where an answer spans
    several (an operator's), the highest of theirs."""
    if municipalities is None:
        municipalities = await tenancy.municipalities_in_scope(session, ReplicaOrgUnit, principal)
    if municipalities is None:
        roots = await session.exec(
            select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.parent_id).is_(None))
        )
        municipalities = {str(root) for root in roots}
    settings = await casesettings.load_many(session, municipalities)
    return max(
        (item.suppression_threshold for item in settings.values()),
        default=NATIONAL_DEFAULTS.suppression_threshold,
    )


async def compute(
    session: AsyncSession,
    principal: Principal,
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    org_unit_id: str | None = None,
    municipality: str | None = None,
    kind: CaseKind | None = None,
    law_area: LawArea | None = None,
    date_basis: DateBasis = DateBasis.REGISTRATION,
) -> Statistics:
    # Only the columns statistics need: no ORM objects, no texts, no personal data. Cases
    # withdrawn as wrongly imported are no cases.
    statement = select(*[getattr(Case, name) for name in COLUMNS]).where(
        col(Case.import_withdrawn_at).is_(None)
    )
    units = await access.scope_units(session, principal)
    if units is not None:
        statement = statement.where(col(Case.org_unit_id).in_(sorted(units)))
    municipalities: set[str] | None = None
    if municipality is not None:
        municipality = await tenancy.resolve_municipality(
            session, ReplicaOrgUnit, principal, municipality
        )
        statement = statement.where(col(Case.municipality_id) == municipality)
        municipalities = {municipality}
    if org_unit_id is not None:
        unit = await get_unit(session, org_unit_id)
        if unit is None:  # no zeros for a unit this service does not know
            raise NotFoundError(f"Org unit {org_unit_id!r} is unknown here.")
        if not await access.in_scope(session, principal, org_unit_id):
            raise ForbiddenError("The org unit is outside your scope.")
        subtree = await orgtree.descendants(session, ReplicaOrgUnit, org_unit_id)
        statement = statement.where(col(Case.org_unit_id).in_(subtree))
        municipalities = {unit.municipality_id} | (municipalities or set())
    threshold = await _threshold(session, principal, municipalities)
    basis: Any = col(Case.reported_at)
    if date_basis is DateBasis.EVENT:
        basis = func.coalesce(col(Case.event_time), col(Case.reported_at))
    if from_year is not None:
        start = datetime(from_year, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        statement = statement.where(basis >= start)
    if to_year is not None:
        end = datetime(to_year + 1, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        statement = statement.where(basis < end)
    if kind is not None:
        statement = statement.where(col(Case.kind) == kind)
    if law_area is not None:
        statement = statement.where(col(Case.law_area) == law_area)
    cases: list[Any] = list((await session.exec(statement)).all())
    suppress = _Suppressor(threshold, active=not access.has_case_role(principal))
    today = local_date(utcnow())

    def dated(case: Any) -> datetime:
        if date_basis is DateBasis.EVENT and case.event_time is not None:
            return cast(datetime, case.event_time)
        return cast(datetime, case.reported_at)

    def year(case: Any) -> int:
        return local_date(dated(case)).year

    def month(case: Any) -> str:
        return local_date(dated(case)).strftime("%Y-%m")

    lex_maria = [c for c in cases if c.lm_ivo_report_date is not None]
    lex_sarah = [c for c in cases if c.ls_ivo_report_date is not None]
    years = sorted({year(c) for c in cases})
    answer_days: dict[str, list[int]] = {}
    answer_met: Counter[str] = Counter()
    close_days: dict[str, list[int]] = {}
    for case in cases:
        if case.answered_at is not None:
            days = (local_date(case.answered_at) - local_date(case.reported_at)).days
            answer_days.setdefault(case.kind, []).append(days)
            if case.due_date is not None and local_date(case.answered_at) <= case.due_date:
                answer_met[case.kind] += 1
        if case.state == "closed" and case.closed_at is not None:
            days = (local_date(case.closed_at) - local_date(case.reported_at)).days
            close_days.setdefault(case.kind, []).append(days)

    parents = dict((await session.exec(select(ReplicaOrgUnit.id, ReplicaOrgUnit.parent_id))).all())
    subtree_counts: Counter[Any] = Counter()
    for unit, n in group(cases, lambda c: c.org_unit_id).items():
        seen: set[str] = set()
        current: str | None = unit
        while current is not None and current not in seen:  # guard against a broken tree
            seen.add(current)
            subtree_counts[(current,)] += n
            current = parents.get(current)
    overdue = [c for c in cases if is_overdue(c, today)]

    tables = {
        table.name: table
        for table in (
            Table("by_year", ("year",), group(cases, lambda c: (year(c),))),
            Table(
                "by_category_month",
                ("month", "category"),
                group(cases, lambda c: (month(c), c.category or "")),
            ),
            Table("by_org_unit", ("org_unit_id",), group(cases, lambda c: (c.org_unit_id,))),
            Table("by_kind", ("year", "kind"), group(cases, lambda c: (year(c), c.kind))),
            Table(
                "by_law_area",
                ("year", "law_area"),
                group(cases, lambda c: (year(c), c.law_area or "")),
            ),
            Table(
                "by_housing_type",
                ("year", "housing_type"),
                group([c for c in cases if c.housing_type], lambda c: (year(c), c.housing_type)),
            ),
            Table("lex_maria_reported", ("year",), Counter({(y,): 0 for y in years})),
            Table("lex_sarah_reported", ("year",), Counter({(y,): 0 for y in years})),
            Table("by_org_subtree", ("org_unit_id",), subtree_counts),
            Table("overdue_by_kind", ("kind",), group(overdue, lambda c: (c.kind,))),
        )
    }
    tables["lex_maria_reported"].counter.update(group(lex_maria, lambda c: (year(c),)))
    tables["lex_sarah_reported"].counter.update(group(lex_sarah, lambda c: (year(c),)))
    total: CellId = ("total", ())
    overdue_total: CellId = ("overdue", ())
    values = {total: len(cases), overdue_total: len(overdue)}
    for table in tables.values():
        values.update(table.cells())
    by_year, by_subtree = tables["by_year"], tables["by_org_subtree"]
    reported = breakdowns.build(cases, year, month, by_year, tables["by_kind"], total)
    values.update(reported.cells)
    relations = [
        Relation(total, tuple(by_year.cell(key) for key in by_year.counter), "by_year"),
        Relation(total, tuple(tables["by_org_unit"].cells()), "by_org_unit"),
        Relation(overdue_total, tuple(tables["overdue_by_kind"].cells()), "overdue_by_kind"),
        *_sums_by_year(tables["by_kind"], by_year),
        *_sums_by_year(tables["by_law_area"], by_year),
        *_sums_by_year(tables["by_category_month"], by_year, year_of=lambda key: int(key[0][:4])),
        *_subtree_sums(total, by_subtree, tables["by_org_unit"], parents),
        *reported.relations,
    ]
    suppression = (
        Suppression(values, relations, threshold, reported.unpublished) if suppress.active else None
    )

    def count(cell: CellId) -> Count:
        return values[cell] if suppression is None else suppression.shown(cell)

    key_names = {name: table.keys for name, table in tables.items()}
    key_names |= {table.name: table.keys for table in reported.extra}
    key_names |= {name: item.table.keys for name, item in reported.items.items()}
    withheld = [
        WithheldBreakdown(
            breakdown=relation.breakdown,
            of=relation.total[0],
            key=dict(zip(key_names.get(relation.total[0], ()), relation.total[1], strict=True)),
        )
        for relation in (suppression.withheld if suppression else [])
    ]

    return Statistics(
        suppressed=suppress.active,
        suppression_threshold=threshold,
        date_basis=date_basis,
        withheld=withheld,
        total=count(total),
        by_year=by_year.rows(suppression),
        by_category_month=tables["by_category_month"].rows(suppression),
        by_org_unit=tables["by_org_unit"].rows(suppression),
        by_kind=tables["by_kind"].rows(suppression),
        by_law_area=tables["by_law_area"].rows(suppression),
        by_housing_type=tables["by_housing_type"].rows(suppression),
        lex_maria_reported=tables["lex_maria_reported"].rows(suppression),
        lex_sarah_reported=tables["lex_sarah_reported"].rows(suppression),
        by_org_subtree=by_subtree.rows(suppression),
        overdue=count(overdue_total),
        overdue_by_kind=tables["overdue_by_kind"].rows(suppression),
        time_to_answer={
            k: suppress.duration(sorted(v), answer_met[k]) for k, v in sorted(answer_days.items())
        },
        time_to_close={k: suppress.duration(sorted(v)) for k, v in sorted(close_days.items())},
        breakdowns=reported.show(values, suppression),
    )


def _sums_by_year(
    table: Table,
    by_year: Table,
    year_of: Callable[[tuple[Any, ...]], int] = lambda key: int(key[0]),
) -> list[Relation]:
    """Each year's count is the sum of ``table``'s cells of that year."""
    parts: dict[int, list[CellId]] = defaultdict(list)
    for key in table.counter:
        parts[year_of(key)].append(table.cell(key))
    return [
        Relation(by_year.cell((year,)), tuple(cells), table.name) for year, cells in parts.items()
    ]


def _subtree_sums(
    total: CellId, by_subtree: Table, by_unit: Table, parents: dict[str, str | None]
) -> list[Relation]:
    """A unit's subtree count is its own count plus its children's subtree counts; the
    total is the sum of the topmost subtrees."""
    children: dict[str | None, list[CellId]] = defaultdict(list)
    for key in by_subtree.counter:
        parent = parents.get(key[0])
        children[parent if (parent,) in by_subtree.counter else None].append(by_subtree.cell(key))
    relations = [Relation(total, tuple(children[None]), by_subtree.name)]
    for key in by_subtree.counter:
        own = [by_unit.cell(key)] if key in by_unit.counter else []
        relations.append(Relation(by_subtree.cell(key), (*own, *children[key[0]]), by_subtree.name))
    return relations
