"""The counted groupings of a statistics answer (tables of cells) and how they are shown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from styr_deviations.statistics.schemas import CountRow
from styr_deviations.statistics.suppression import CellId, Suppression


class Table:
    """One grouping of the answer: its counts by key, and how they are shown."""

    def __init__(self, name: str, keys: tuple[str, ...], counter: Counter[Any]) -> None:
        self.name, self.keys, self.counter = name, keys, counter

    def cell(self, key: tuple[Any, ...]) -> CellId:
        return (self.name, key)

    def cells(self) -> dict[CellId, int]:
        return {self.cell(key): count for key, count in self.counter.items()}

    def rows(self, suppression: Suppression | None) -> list[CountRow]:
        rows = []
        for key in sorted(self.counter, key=lambda k: tuple(str(part) for part in k)):
            if suppression is not None and self.cell(key) in suppression.withheld_cells:
                continue
            values = dict(zip(self.keys, key, strict=True))
            count = self.counter[key] if suppression is None else suppression.shown(self.cell(key))
            rows.append(CountRow(**values, count=count))
        return rows


def group(cases: Iterable[Any], key: Callable[[Any], Hashable]) -> Counter[Any]:
    return Counter(key(case) for case in cases)
