"""The breakdowns patient-safety reports print, each with the totals it adds up to.

Every breakdown splits a count the answer already has (a year's cases, a kind of a year, the
investigated cases of a year) completely: a case without the fact is counted under ``""``
(unknown), so its rows add up to its totals exactly. The totals are computed here and shown as
suppressed as the same counts elsewhere in the answer, so a client never needs to add up rows
(whose small counts are hidden). Each breakdown's sums are relations of the suppression.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from styr_deviations.config import CaseKind
from styr_deviations.statistics.counts import Counts
from styr_deviations.statistics.schemas import Breakdown, Count, CountRow
from styr_deviations.statistics.suppression import CellId, Relation, Suppression
from styr_deviations.statistics.tables import Table

Key = tuple[Any, ...]
EXTERNAL = CaseKind.EXTERNAL_DEVIATION.value


@dataclass
class _Breakdown:
    table: Table
    totals_by: tuple[str, ...]
    totals: dict[Key, CellId]  # a totals row's key → the count it is
    parent: Callable[[Key], Key]  # a row's key → its totals row's key
    total: CellId

    def relations(self) -> list[Relation]:
        parts: dict[Key, list[CellId]] = defaultdict(list)
        for key in self.table.counter:
            parts[self.parent(key)].append(self.table.cell(key))
        return [
            Relation(cell, tuple(parts.get(key, ())), self.table.name)
            for key, cell in self.totals.items()
        ]

    def show(self, values: dict[CellId, int], suppression: Suppression | None) -> Breakdown:
        def count(cell: CellId) -> Count:
            return values.get(cell, 0) if suppression is None else suppression.shown(cell)

        withheld = suppression.withheld_cells if suppression else set()
        totals = [
            CountRow(**dict(zip(self.totals_by, key, strict=True)), count=count(cell))
            for key, cell in sorted(self.totals.items(), key=lambda item: str(item[0]))
            if cell not in withheld
        ]
        return Breakdown(
            keys=list(self.table.keys),
            totals_by=list(self.totals_by),
            rows=self.table.rows(suppression),
            totals=totals,
            total=count(self.total),
        )


@dataclass
class Breakdowns:
    """The breakdowns of one answer: their cells, relations and never-shown counts."""

    items: dict[str, _Breakdown]
    extra: list[Table]  # counts only these breakdowns add (investigated cases per year)
    cells: dict[CellId, int]
    relations: list[Relation]
    unpublished: set[CellId]

    def show(
        self, values: dict[CellId, int], suppression: Suppression | None
    ) -> dict[str, Breakdown]:
        return {name: item.show(values, suppression) for name, item in self.items.items()}


def build(counts: Counts, by_year: Table, by_kind: Table, total: CellId) -> Breakdowns:
    """``counts``: the answer's cells grouped in SQL; ``by_year``/``by_kind``/``total``: the
    answer's counts they break down."""
    years = {key: by_year.cell(key) for key in by_year.counter}
    kinds = {key: by_kind.cell(key) for key in by_kind.counter}
    external_years = {(y,): by_kind.cell((y, k)) for (y, k) in by_kind.counter if k == EXTERNAL}
    by_month: Counter[Key] = Counter()
    by_category_year: Counter[Key] = Counter()
    for (year, month, category), n in counts.by_month_category.items():
        by_month[(month,)] += n
        by_category_year[(year, category)] += n
    investigated_per_year: Counter[Key] = Counter()
    for (year, _), n in counts.by_investigation_outcome.items():
        investigated_per_year[(year,)] += n
    per_year = Table("investigated", ("year",), investigated_per_year)
    external_total: CellId = ("external_deviations", ())
    investigated_total: CellId = ("investigated_total", ())

    def first(key: Key) -> Key:
        return key[:1]

    items = {
        "by_month": _Breakdown(
            Table("by_month", ("month",), by_month),
            ("year",),
            years,
            lambda key: (int(key[0][:4]),),
            total,
        ),
        "by_category_year": _Breakdown(
            Table("by_category_year", ("year", "category"), by_category_year),
            ("year",),
            years,
            first,
            total,
        ),
        "by_state": _Breakdown(
            Table("by_state", ("year", "state"), Counter(counts.by_state)),
            ("year",),
            years,
            first,
            total,
        ),
        "by_channel": _Breakdown(
            Table("by_channel", ("year", "kind", "channel"), Counter(counts.by_channel)),
            ("year", "kind"),
            kinds,
            lambda key: key[:2],
            total,
        ),
        "by_external_direction": _Breakdown(
            Table(
                "by_external_direction",
                ("year", "direction"),
                Counter(counts.by_external_direction),
            ),
            ("year",),
            external_years,
            first,
            external_total,
        ),
        "by_investigation_outcome": _Breakdown(
            Table(
                "by_investigation_outcome",
                ("year", "outcome"),
                Counter(counts.by_investigation_outcome),
            ),
            ("year",),
            {key: per_year.cell(key) for key in per_year.counter},
            first,
            investigated_total,
        ),
    }
    cells: dict[CellId, int] = {
        external_total: sum(counts.by_external_direction.values()),
        investigated_total: sum(investigated_per_year.values()),
        **per_year.cells(),
    }
    for item in items.values():
        cells.update(item.table.cells())
    relations = [relation for item in items.values() for relation in item.relations()]
    relations += [
        Relation(external_total, tuple(external_years.values()), "by_external_direction"),
        Relation(investigated_total, tuple(per_year.cells()), "by_investigation_outcome"),
    ]
    # A reader knows the investigated cases of a year are at most the year's cases: the rest
    # is a count the answer never shows.
    unpublished: set[CellId] = set()
    rest = Counter(by_year.counter)
    rest.subtract(per_year.counter)
    for key, cell in years.items():
        slack: CellId = ("not_investigated", key)
        cells[slack] = rest[key]
        unpublished.add(slack)
        parts = (per_year.cell(key), slack) if key in per_year.counter else (slack,)
        # withheld, this leaves out the year's investigated count (the rest is never shown)
        relations.append(Relation(cell, parts, "investigated"))
    return Breakdowns(items, [per_year], cells, relations, unpublished)
