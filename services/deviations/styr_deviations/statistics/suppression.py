"""Small-count protection for callers without case access: primary and secondary suppression.

Primary: a count from 1 to threshold − 1 is hidden and shown as ``<5`` (zero stays 0: it
identifies no one). Secondary: a count that, with the other cells and totals of the same
answer, would let a reader work a hidden count out is hidden too, shown as ``x`` (as
Statistics Sweden marks figures withheld to protect others).

The counts of one answer are bound by linear relations: a total is the sum of its parts (the grand
total of its years and of its units, a year of its kinds, of its law areas and of its category ×
month cells, a unit's subtree of the unit and its children's subtrees, overdue of its kinds; the
breakdowns by month, category, state, channel, external direction and investigation outcome of
their totals). Counts the answer never shows can stand in a relation to state an inequality
(investigated ≤ registered). A reader knows every shown count, that ``<5`` is 1…4 and that ``x`` is
at least 5. From each relation they can bound every hidden count, and use those bounds in the next
relation (interval propagation, repeated until nothing narrows: a stronger attacker than single
subtractions). Hidden counts are added, the smallest shown part of an offending relation first,
until no hidden count is pinned to one value. Where no shown count is left to hide, the rows are
withheld, and with them every breakdown of those rows; a withheld small count must not be pinned
either (through another relation it is a part of).

No library does this for arbitrary relation sets (sdcTable/tau-argus are R and Java tools for
statistical offices), and the answer is small: a few hundred cells, so plain propagation is cheap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CellId = tuple[str, tuple[Any, ...]]
"""(table, key): e.g. ``("by_kind", (2024, "complaint"))`` or ``("total", ())``."""
SECONDARY_MARKER = "x"
Bounds = dict[CellId, tuple[float, float]]


@dataclass(frozen=True)
class Relation:
    """``total`` is the sum of ``parts`` (parts that are absent are zero, and known);
    ``breakdown`` names the grouping the parts are listed in."""

    total: CellId
    parts: tuple[CellId, ...]
    breakdown: str = ""


def propagate(
    known: Mapping[CellId, int],
    hidden: Mapping[CellId, tuple[float, float]],
    relations: Sequence[Relation],
) -> Bounds:
    """What a reader can infer: the tightest bounds of every hidden cell that repeated use of
    ``relations`` gives, starting from the shown values and the markers' ranges."""
    bounds: Bounds = {cell: (value, value) for cell, value in known.items()}
    bounds.update(hidden)
    involved = [r for r in relations if r.total in hidden or any(p in hidden for p in r.parts)]
    for _ in range(1000):  # a bound only narrows; integers stop narrowing quickly
        changed = False
        for relation in involved:
            lows = [bounds[part][0] for part in relation.parts]
            highs = [bounds[part][1] for part in relation.parts]
            low_sum = sum(lows)
            finite_high = sum(high for high in highs if math.isfinite(high))
            unbounded = sum(1 for high in highs if not math.isfinite(high))
            total_low, total_high = bounds[relation.total]
            narrowed = (
                max(total_low, low_sum),
                min(total_high, math.inf if unbounded else finite_high),
            )
            if narrowed != (total_low, total_high):
                bounds[relation.total], changed = narrowed, True
                total_low, total_high = narrowed
            for index, part in enumerate(relation.parts):
                if part not in hidden:
                    continue
                low, high = lows[index], highs[index]
                own_unbounded = not math.isfinite(high)
                others_high = (
                    math.inf
                    if unbounded - own_unbounded
                    else finite_high - (0 if own_unbounded else high)
                )
                narrowed = (
                    max(low, total_low - others_high),
                    min(high, total_high - (low_sum - low)),
                )
                if narrowed != (low, high):
                    bounds[part], changed = narrowed, True
        if not changed:
            break
    return bounds


class Suppression:
    """Which counts of one answer are hidden, which breakdowns are withheld, how each count
    is shown.

    A breakdown is withheld (its rows left out, and the answer says so) when its rows alone
    give a hidden total away: a total under the threshold listed as four rows of at least one
    each is exactly four, however the rows are shown. Its cells are then unknown to the
    reader, zero included.
    """

    def __init__(
        self,
        values: Mapping[CellId, int],
        relations: Iterable[Relation],
        threshold: int,
        unpublished: Iterable[CellId] = (),
    ) -> None:
        self.threshold = threshold
        self.values = dict(values)
        # Counts the answer never shows, in relations that state what a reader knows besides
        # the sums (e.g. "investigated ≤ registered" as registered = investigated + the rest).
        self.unpublished = frozenset(unpublished)
        self.relations = [r for r in relations if r.total in self.values]
        self.primary = {
            cell
            for cell, value in self.values.items()
            if 0 < value < threshold and cell not in self.unpublished
        }
        self.secondary: set[CellId] = set()
        self.withheld: list[Relation] = []
        self.withheld_cells: set[CellId] = set()
        self._protect()

    def shown(self, cell: CellId) -> int | str:
        if cell in self.primary:
            return f"<{self.threshold}"
        if cell in self.secondary:
            return SECONDARY_MARKER
        return self.values.get(cell, 0)

    def _ranges(self) -> dict[CellId, tuple[float, float]]:
        primary_range: tuple[float, float] = (1, self.threshold - 1)
        ranges = dict.fromkeys(self.primary, primary_range)
        ranges.update(dict.fromkeys(self.secondary, (self.threshold, math.inf)))
        ranges.update(dict.fromkeys(self.withheld_cells | self.unpublished, (0, math.inf)))
        return ranges

    def _withhold(self, relation: Relation) -> None:
        """Leave the relation's rows out, and every breakdown of those rows (a breakdown of a
        count that is not shown would add up to it)."""
        pending = [relation]
        while pending:
            current = pending.pop()
            if current in self.withheld or not current.parts:
                continue
            self.withheld.append(current)
            fresh = set(current.parts) - self.withheld_cells - self.unpublished
            self.withheld_cells.update(current.parts)
            pending += [r for r in self.relations if r.total in fresh]

    def _best(
        self,
        relation: Relation,
        hidden: Mapping[CellId, Any],
        inequality: dict[int, bool],
        cache: dict[int, tuple[bool, bool, int, CellId] | None],
    ) -> tuple[bool, bool, int, CellId] | None:
        """The relation's first shown positive count to hide next (smallest part before the
        total), keyed for the choice among relations; None when it has none."""
        key = id(relation)
        if key not in cache:
            candidates = [
                (inequality[key], part is relation.total, self.values[part], part)
                for part in (*relation.parts, relation.total)
                if part not in hidden and self.values.get(part, 0) > 0
            ]
            cache[key] = min(candidates, key=lambda item: item[:3]) if candidates else None
        return cache[key]

    def _protect(self) -> None:
        of_cell: dict[CellId, list[Relation]] = defaultdict(list)
        # whether a relation states only an inequality (a part the answer never shows): fixed
        # per relation, so worked out once (per candidate part it cost a relation's length
        # squared: seconds for an answer with two thousand units)
        inequality: dict[int, bool] = {}
        for relation in self.relations:
            inequality[id(relation)] = any(p in self.unpublished for p in relation.parts)
            for cell in (relation.total, *relation.parts):
                of_cell[cell].append(relation)
        while True:
            round_best: dict[int, tuple[bool, bool, int, CellId] | None] = {}
            hidden = self._ranges()
            known = {c: v for c, v in self.values.items() if c not in hidden}
            bounds = propagate(known, hidden, self.relations)
            # a withheld count must not be worked out either where it is a small one
            pinned = [
                cell
                for cell in hidden
                if cell not in self.unpublished
                and (cell not in self.withheld_cells or cell in self.primary)
                and bounds[cell][0] == bounds[cell][1]
            ]
            if not pinned:
                return
            added = False
            for cell in pinned:
                # one count more per pinned one and round, the smallest part (before a total)
                # of its relations, those stating only an inequality last: hiding a count in
                # every relation at once hid far more than needed
                # (each relation's first best part, found once a round: ``hidden`` is fixed
                # within it, and the first of the relations' bests is the first best of all)
                candidates = [
                    best
                    for relation in of_cell[cell]
                    if (best := self._best(relation, hidden, inequality, round_best)) is not None
                ]
                if candidates:
                    self.secondary.add(min(candidates, key=lambda item: item[:3])[3])
                    added = True
            if added:
                continue
            # every count next to the pinned ones is hidden already: the rows themselves
            # give them away, so withhold those breakdowns
            for cell in pinned:
                for relation in of_cell[cell]:
                    if relation not in self.withheld and relation.parts:
                        self._withhold(relation)
                        added = True
            if not added:  # cannot happen with sums of counts; stay safe regardless
                positive = {c for c, v in self.values.items() if v > 0} - self.unpublished
                self.secondary |= positive - self.primary
                return
