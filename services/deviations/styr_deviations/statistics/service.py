"""Statistics over cases: counts by year, category × month, org unit, kind, law area and
housing type; Lex Maria reports; time to answer and to close; overdue counts.

Rows are filtered in SQL and grouped here, because months and years are Swedish calendar
months (Europe/Stockholm), which SQLite and PostgreSQL cannot compute the same way. One
municipality has thousands of cases a year, so this stays cheap.

Callers without case access (readers, planners, controllers) get small counts suppressed:
1 up to the threshold minus one is shown as ``"<5"``; zero stays 0 (it identifies no one).
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from styr_deviations.cases import access
from styr_deviations.cases.models import Case
from styr_deviations.cases.service import is_overdue, local_date
from styr_deviations.config import LOCAL_TIME, CaseKind, LawArea
from styr_deviations.statistics.schemas import (
    CountRow,
    Duration,
    Statistics,
)
from styr_shared import orgtree
from styr_shared.auth import Principal
from styr_shared.errors import ForbiddenError
from styr_shared.orgreplica import ReplicaOrgUnit
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


def _rows(counter: Counter[Any], keys: tuple[str, ...], suppress: _Suppressor) -> list[CountRow]:
    rows = []
    for key in sorted(counter, key=lambda k: tuple(str(part) for part in k)):
        values = dict(zip(keys, key, strict=True))
        rows.append(CountRow(**values, count=suppress.count(counter[key])))
    return rows


def _group(cases: Iterable[Any], key: Callable[[Any], Hashable]) -> Counter[Any]:
    return Counter(key(case) for case in cases)


async def compute(
    session: AsyncSession,
    principal: Principal,
    threshold: int,
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    org_unit_id: str | None = None,
    kind: CaseKind | None = None,
    law_area: LawArea | None = None,
) -> Statistics:
    # Only the columns statistics need: no ORM objects, no texts, no personal data.
    statement = select(*[getattr(Case, name) for name in COLUMNS])
    units = await access.scope_units(session, principal)
    if units is not None:
        statement = statement.where(col(Case.org_unit_id).in_(sorted(units)))
    if org_unit_id is not None:
        if not await access.in_scope(session, principal, org_unit_id):
            raise ForbiddenError("The org unit is outside your scope.")
        subtree = await orgtree.descendants(session, ReplicaOrgUnit, org_unit_id)
        statement = statement.where(col(Case.org_unit_id).in_(subtree or [org_unit_id]))
    if from_year is not None:
        start = datetime(from_year, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        statement = statement.where(col(Case.reported_at) >= start)
    if to_year is not None:
        end = datetime(to_year + 1, 1, 1, tzinfo=LOCAL_TIME).astimezone(UTC)
        statement = statement.where(col(Case.reported_at) < end)
    if kind is not None:
        statement = statement.where(col(Case.kind) == kind)
    if law_area is not None:
        statement = statement.where(col(Case.law_area) == law_area)
    cases: list[Any] = list((await session.exec(statement)).all())
    suppress = _Suppressor(threshold, active=not access.has_case_role(principal))
    today = local_date(utcnow())

    def year(case: Any) -> int:
        return local_date(case.reported_at).year

    def month(case: Any) -> str:
        return local_date(case.reported_at).strftime("%Y-%m")

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
    for unit, n in _group(cases, lambda c: c.org_unit_id).items():
        seen: set[str] = set()
        current: str | None = unit
        while current is not None and current not in seen:  # guard against a broken tree
            seen.add(current)
            subtree_counts[(current,)] += n
            current = parents.get(current)
    overdue = [c for c in cases if is_overdue(c, today)]

    return Statistics(
        suppressed=suppress.active,
        suppression_threshold=threshold,
        total=suppress.count(len(cases)),
        by_year=_rows(_group(cases, lambda c: (year(c),)), ("year",), suppress),
        by_category_month=_rows(
            _group(cases, lambda c: (month(c), c.category or "")),
            ("month", "category"),
            suppress,
        ),
        by_org_unit=_rows(_group(cases, lambda c: (c.org_unit_id,)), ("org_unit_id",), suppress),
        by_kind=_rows(_group(cases, lambda c: (year(c), c.kind)), ("year", "kind"), suppress),
        by_law_area=_rows(
            _group(cases, lambda c: (year(c), c.law_area or "")), ("year", "law_area"), suppress
        ),
        by_housing_type=_rows(
            _group([c for c in cases if c.housing_type], lambda c: (year(c), c.housing_type)),
            ("year", "housing_type"),
            suppress,
        ),
        lex_maria_reported=[
            CountRow(year=y, count=suppress.count(sum(1 for c in lex_maria if year(c) == y)))
            for y in years
        ],
        lex_sarah_reported=[
            CountRow(year=y, count=suppress.count(sum(1 for c in lex_sarah if year(c) == y)))
            for y in years
        ],
        by_org_subtree=_rows(subtree_counts, ("org_unit_id",), suppress),
        overdue=suppress.count(len(overdue)),
        overdue_by_kind=_rows(_group(overdue, lambda c: (c.kind,)), ("kind",), suppress),
        time_to_answer={
            k: suppress.duration(sorted(v), answer_met[k]) for k, v in sorted(answer_days.items())
        },
        time_to_close={k: suppress.duration(sorted(v)) for k, v in sorted(close_days.items())},
    )
