"""Statistics over cases: counts by year, category × month, org unit, kind, law area and
housing type; Lex Maria reports; time to answer and to close; overdue counts.

Cases are counted in SQL (``counts.py``) on the Swedish-calendar years and months stored with
each case; only the aggregated cells come here, to be arranged, related and suppressed.

Callers without case access (readers, planners, controllers) get small counts suppressed
(the threshold is the municipality's, see ``casesettings``): 1 up to the threshold minus one
is shown as ``"<5"``; zero stays 0 (it identifies no one);
and counts from which a hidden one could be worked out are hidden too (``"x"``, see
:mod:`styr_deviations.statistics.suppression`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import Case
from styr_deviations.casesettings import service as casesettings
from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS
from styr_deviations.config import CaseKind, DateBasis, LawArea, local_date
from styr_deviations.statistics import breakdowns
from styr_deviations.statistics import counts as counting
from styr_deviations.statistics.schemas import (
    Duration,
    Statistics,
    WithheldBreakdown,
)
from styr_deviations.statistics.suppression import CellId, Relation, Suppression
from styr_deviations.statistics.tables import Table
from styr_shared import tenancy
from styr_shared.auth import Principal
from styr_shared.errors import ForbiddenError, NotFoundError
from styr_shared.orgreplica import ReplicaOrgUnit, get_unit
from styr_shared.types import utcnow

Count = int | str


class _Suppressor:
    def __init__(self, threshold: int, active: bool) -> None:
        self.threshold, self.active = threshold, active

    def count(self, value: int) -> Count:
        if self.active and 0 < value < self.threshold:
            return f"<{self.threshold}"
        return value

    def duration(self, days: Counter[int], deadline_met: int | None = None) -> Duration:
        """``days``: how many cases took each number of days."""
        n = sum(days.values())
        shown = n > 0 and not (self.active and n < self.threshold)
        return Duration(
            count=self.count(n),
            # as statistics.fmean and .median of the list of days would give
            mean_days=round(sum(d * k for d, k in days.items()) / n, 1) if shown else None,
            median_days=_median(days, n) if shown else None,
            max_days=max(days) if shown else None,
            within_deadline=None if deadline_met is None else self.count(deadline_met),
        )


def _median(days: Counter[int], n: int) -> float:
    """The median of ``n`` days given as how many cases took each number of days."""
    wanted = sorted({(n - 1) // 2, n // 2})
    found: list[int] = []
    seen = 0
    for value in sorted(days):
        seen += days[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
        if not wanted:
            break
    return float(found[0]) if len(found) == 1 else (found[0] + found[1]) / 2


def _subtree(units: list[str]) -> Any:
    """The ids of the units and every unit below them, as a subquery (recursive CTE)."""
    tree = select(ReplicaOrgUnit.id).where(col(ReplicaOrgUnit.id).in_(units))
    cte = tree.cte("scope", recursive=True)
    child = aliased(ReplicaOrgUnit)
    cte = cte.union(select(child.id).where(child.parent_id == cte.c.id))
    return select(cte.c.id)


async def _lineage(session: AsyncSession, units: list[str]) -> dict[str, str | None]:
    """The parent of each of the units and of every unit above them."""
    if not units:
        return {}
    start = select(ReplicaOrgUnit.id, ReplicaOrgUnit.parent_id).where(
        col(ReplicaOrgUnit.id).in_(sorted(units))
    )
    cte = start.cte("lineage", recursive=True)
    parent = aliased(ReplicaOrgUnit)
    cte = cte.union(select(parent.id, parent.parent_id).where(parent.id == cte.c.parent_id))
    rows = await session.exec(select(cte.c.id, cte.c.parent_id))
    return {str(unit): parent_id for unit, parent_id in rows}


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
    # Cases withdrawn as wrongly imported are no cases.
    conditions: list[ColumnElement[bool]] = [col(Case.import_withdrawn_at).is_(None)]
    municipalities: set[str] | None = None
    if municipality is not None:
        municipality = await tenancy.resolve_municipality(
            session, ReplicaOrgUnit, principal, municipality
        )
        conditions.append(col(Case.municipality_id) == municipality)
        municipalities = {municipality}
    if org_unit_id is not None:
        unit = await get_unit(session, org_unit_id)
        if unit is None:  # no zeros for a unit this service does not know
            raise NotFoundError(f"Org unit {org_unit_id!r} is unknown here.")
        if not await access.in_scope(session, principal, org_unit_id):
            raise ForbiddenError("The org unit is outside your scope.")
        # a grant covers its subtree, so the unit's subtree lies within the caller's scope
        conditions.append(col(Case.org_unit_id).in_(_subtree([org_unit_id])))
        municipalities = {unit.municipality_id} | (municipalities or set())
    elif not principal.unrestricted:
        granted = sorted(principal.org_units)  # (a granted unit the replica lacks counts too)
        unit_column = col(Case.org_unit_id)
        conditions.append(or_(unit_column.in_(granted), unit_column.in_(_subtree(granted))))
    threshold = await _threshold(session, principal, municipalities)
    year_column, _ = counting.basis_columns(date_basis)
    if from_year is not None:
        conditions.append(year_column >= from_year)
    if to_year is not None:
        conditions.append(year_column <= to_year)
    if kind is not None:
        conditions.append(col(Case.kind) == kind)
    if law_area is not None:
        conditions.append(col(Case.law_area) == law_area)
    suppress = _Suppressor(threshold, active=not access.has_case_role(principal))
    counts = await counting.count(session, conditions, date_basis, local_date(utcnow()))

    by_month_category = counts.by_month_category
    by_year_counter: Counter[Any] = Counter()
    category_month: Counter[Any] = Counter()
    for (year, month, category), n in by_month_category.items():
        by_year_counter[(year,)] += n
        category_month[(month, category)] += n
    years = sorted(key[0] for key in by_year_counter)
    by_kind: Counter[Any] = Counter()
    by_law_area: Counter[Any] = Counter()
    for (year, case_kind, area), n in counts.by_kind_law_area.items():
        by_kind[(year, case_kind)] += n
        by_law_area[(year, area)] += n

    parents = await _lineage(session, [key[0] for key in counts.by_unit])
    subtree_counts: Counter[Any] = Counter()
    for (unit_id,), n in counts.by_unit.items():
        seen: set[str] = set()
        current: str | None = unit_id
        while current is not None and current not in seen:  # guard against a broken tree
            seen.add(current)
            subtree_counts[(current,)] += n
            current = parents.get(current)

    tables = {
        table.name: table
        for table in (
            Table("by_year", ("year",), by_year_counter),
            Table("by_category_month", ("month", "category"), category_month),
            Table("by_org_unit", ("org_unit_id",), Counter(counts.by_unit)),
            Table("by_kind", ("year", "kind"), by_kind),
            Table("by_law_area", ("year", "law_area"), by_law_area),
            Table("by_housing_type", ("year", "housing_type"), Counter(counts.by_housing_type)),
            Table("lex_maria_reported", ("year",), Counter({(y,): 0 for y in years})),
            Table("lex_sarah_reported", ("year",), Counter({(y,): 0 for y in years})),
            Table("by_org_subtree", ("org_unit_id",), subtree_counts),
            Table("overdue_by_kind", ("kind",), Counter(counts.overdue)),
        )
    }
    tables["lex_maria_reported"].counter.update(counts.lex_maria)
    tables["lex_sarah_reported"].counter.update(counts.lex_sarah)
    total: CellId = ("total", ())
    overdue_total: CellId = ("overdue", ())
    values = {total: sum(by_year_counter.values()), overdue_total: sum(counts.overdue.values())}
    for table in tables.values():
        values.update(table.cells())
    by_year, by_subtree = tables["by_year"], tables["by_org_subtree"]
    reported = breakdowns.build(counts, by_year, tables["by_kind"], total)
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
            k: suppress.duration(v, counts.answer_met[k])
            for k, v in sorted(counts.answer_days.items())
        },
        time_to_close={k: suppress.duration(v) for k, v in sorted(counts.close_days.items())},
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
