"""Small counts stay hidden from callers without case access, also by subtraction.

An attacker written here, apart from the service's own protection, reads a reader's answer,
knows how its counts add up (a total of its years, its units and its topmost subtrees; a year
of its kinds, law areas and category × month cells; a subtree of its unit and children's
subtrees; overdue of its kinds) and what the markers mean (``<5`` is 1…4, ``x`` at least 5),
and tries every subtraction: in each relation, the sum of the hidden cells is the total less
the shown parts, which bounds each hidden cell between what the others can at most and at
least take. No hidden cell may come out as one value. The answer is checked against what a
case handler sees for the same request: shown counts are true, markers honest.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from styr_deviations.cases.models import Case
from styr_deviations.demo.loader import build
from styr_deviations.statistics.suppression import Relation, Suppression, propagate
from styr_shared.testing import TokenFactory
from styr_shared.testing.orgs import OXELOSUND

PARENTS = {unit: parent for unit, _, _, _, parent in OXELOSUND}
UNITS = ["oxelosund-sabo", "oxelosund-hemtjanst", "oxelosund-lss", "oxelosund-ifo"]
THRESHOLD = 5
Cell = tuple[str, tuple[Any, ...]]


def test_the_reported_subtraction_is_closed() -> None:
    # a total of 8 and a shown 7 gave the hidden 1 away
    total, small, large = ("total", ()), ("by_kind", (2025, "complaint")), ("by_kind", (2025, "x"))
    hidden = Suppression({total: 8, small: 1, large: 7}, [Relation(total, (small, large))], 5)
    assert (hidden.shown(total), hidden.shown(small), hidden.shown(large)) == (8, "<5", "x")


def test_a_hidden_cell_pinned_by_the_markers_ranges_is_protected() -> None:
    # 6 = "<5" + "x": the "x" is at least 5, so the "<5" would be exactly 1
    total = ("total", ())
    parts = [("by_year", (year,)) for year in (2023, 2024, 2025)]
    values = {total: 16, parts[0]: 1, parts[1]: 5, parts[2]: 10}
    hidden = Suppression(values, [Relation(total, tuple(parts))], 5)
    shown = {cell: hidden.shown(cell) for cell in values}
    known = {c: v for c, v in values.items() if isinstance(shown[c], int)}
    ranges = {
        c: (1.0, 4.0) if shown[c] == "<5" else (5.0, math.inf) for c in values if c not in known
    }
    bounds = propagate(known, ranges, [Relation(total, tuple(parts))])
    assert all(bounds[c][0] < bounds[c][1] for c in ranges)


def attack(answer: dict[str, Any]) -> list[str]:
    """Every hidden cell of ``answer`` that one relation pins to a single value."""
    cells: dict[Cell, Any] = {("total", ()): answer["total"], ("overdue", ()): answer["overdue"]}
    keys = {
        "by_year": ("year",),
        "by_kind": ("year", "kind"),
        "by_law_area": ("year", "law_area"),
        "by_category_month": ("month", "category"),
        "by_org_unit": ("org_unit_id",),
        "by_org_subtree": ("org_unit_id",),
        "overdue_by_kind": ("kind",),
    }
    for table, names in keys.items():
        for row in answer[table]:
            cells[(table, tuple(row[name] for name in names))] = row["count"]
    withheld = {
        (item["breakdown"], (item["of"], tuple(item["key"].values())))
        for item in answer.get("withheld", [])
    }

    def of(table: str) -> list[Cell]:
        return [cell for cell in cells if cell[0] == table]

    # (total, parts, breakdown, parts that may hide unlisted rows)
    relations: list[tuple[Cell, list[Cell], str]] = [
        (("total", ()), of("by_year"), "by_year"),
        (("total", ()), of("by_org_unit"), "by_org_unit"),
        (("overdue", ()), of("overdue_by_kind"), "overdue_by_kind"),
    ]
    for year_cell in of("by_year"):
        year = year_cell[1][0]
        for table in ("by_kind", "by_law_area"):
            relations.append((year_cell, [c for c in of(table) if c[1][0] == year], table))
        months = [c for c in of("by_category_month") if c[1][0].startswith(f"{year}-")]
        relations.append((year_cell, months, "by_category_month"))
    subtrees = {cell[1][0] for cell in of("by_org_subtree")}
    withheld_units = {
        total[1][0] for breakdown, total in withheld if breakdown == "by_org_subtree" and total[1]
    }
    top = [c for c in of("by_org_subtree") if PARENTS.get(c[1][0]) not in subtrees]
    relations.append((("total", ()), top, "by_org_subtree"))
    for unit in subtrees:
        parts = [c for c in of("by_org_subtree") if PARENTS.get(c[1][0]) == unit]
        if ("by_org_unit", (unit,)) in cells:
            parts.append(("by_org_unit", (unit,)))
        relations.append((("by_org_subtree", (unit,)), parts, "by_org_subtree"))

    def bounds(cell: Cell) -> tuple[float, float]:
        value = cells[cell]
        if isinstance(value, int):
            return value, value
        return (1, THRESHOLD - 1) if value == f"<{THRESHOLD}" else (THRESHOLD, math.inf)

    found = []
    for total, parts, breakdown in relations:
        if (breakdown, total) in withheld or total not in cells:
            continue  # its rows are not all listed: a missing one is no zero
        if breakdown == "by_org_unit" and withheld_units:
            continue  # a unit's own row left out with its subtree's breakdown
        if any(
            (breakdown, ("total", ())) in withheld or (breakdown, ("by_year", p[1][:1])) in withheld
            for p in parts
        ):
            continue
        for target in [total, *parts]:
            if isinstance(cells[target], int):
                continue
            # target = total − Σ other parts (or, for the total, Σ parts)
            others = [bounds(p) for p in parts if p != target]
            if target == total:
                low, high = sum(b[0] for b in others), sum(b[1] for b in others)
            else:
                total_low, total_high = bounds(total)
                low = total_low - sum(b[1] for b in others)
                high = total_high - sum(b[0] for b in others)
            own_low, own_high = bounds(target)
            if max(low, own_low) == min(high, own_high):
                found.append(f"{target} = {max(low, own_low)} from {total} = Σ {parts}")
    return found


def check_markers(public: dict[str, Any], internal: dict[str, Any]) -> None:
    """Shown counts are the true ones; ``<5`` hides 1…4 and ``x`` at least 5; a row is left
    out only inside a breakdown the answer says is withheld."""
    pairs = [(public["total"], internal["total"]), (public["overdue"], internal["overdue"])]
    withheld = {item["breakdown"] for item in public["withheld"]}
    for table in ("by_year", "by_kind", "by_law_area", "by_category_month", "by_org_unit"):
        true = {
            tuple(sorted((k, v) for k, v in row.items() if k != "count")): row["count"]
            for row in internal[table]
        }
        shown = {
            tuple(sorted((k, v) for k, v in row.items() if k != "count")): row["count"]
            for row in public[table]
        }
        assert set(shown) <= set(true)
        if set(shown) != set(true):
            assert table in withheld or (table == "by_org_unit" and "by_org_subtree" in withheld)
        pairs += [(count, true[key]) for key, count in shown.items()]
    for shown_count, true_count in pairs:
        if shown_count == f"<{THRESHOLD}":
            assert 0 < true_count < THRESHOLD
        elif shown_count == "x":
            assert true_count >= THRESHOLD
        else:
            assert shown_count == true_count
            assert not 0 < true_count < THRESHOLD


TEMPLATE = build()[0][0]
case_specs = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.sampled_from(["deviation", "complaint", "feedback"]),
        st.sampled_from(["fall", "lakemedel", "vard"]),
        st.sampled_from([(2024, 3), (2024, 11), (2025, 2)]),
        st.sampled_from(["HSL", "SoL"]),
        st.booleans(),  # overdue
    ),
    min_size=1,
    max_size=40,
)


async def store(app: FastAPI, specs: list[tuple[Any, ...]]) -> None:
    rows = []
    for serial, (unit, kind, category, (year, month), law_area, overdue) in enumerate(specs, 1):
        reported = datetime(year, month, 10, 9, 0, tzinfo=UTC)
        rows.append(
            {
                **TEMPLATE,
                "municipality_id": "oxelosund",
                "reference_number": f"T.{serial}",
                "series": "T.*",
                "serial": serial,
                "kind": kind,
                "category": category if kind == "deviation" else None,
                "law_area": law_area,
                "org_unit_id": unit,
                "event_time": reported - timedelta(hours=1),
                "reported_at": reported,
                "received_at": reported,
                "acknowledged_at": reported,
                "state": "registered" if overdue else "closed",
                "due_date": date(2024, 1, 1) if overdue else date(year, month, 20),
                "closed_at": None if overdue else reported + timedelta(days=3),
            }
        )
    async with app.state.database.session() as session:
        await session.exec(delete(Case))
        await session.commit()
    async with app.state.database.engine.begin() as connection:
        await connection.execute(insert(Case), rows)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=case_specs, scope=st.sampled_from([None, "oxelosund-ao", "oxelosund-vof"]))
async def test_no_hidden_count_can_be_recovered_from_the_answer(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    specs: list[tuple[Any, ...]],
    scope: str | None,
) -> None:
    await store(app, specs)
    reader = tokens.headers("reader", org_units=["oxelosund"])
    handler = tokens.headers("case_handler", org_units=["oxelosund"])
    params = {} if scope is None else {"org_unit_id": scope}
    public = (await client.get("/api/v1/statistics", params=params, headers=reader)).json()
    internal = (await client.get("/api/v1/statistics", params=params, headers=handler)).json()
    assert public["suppressed"] is True
    assert internal["suppressed"] is False
    check_markers(public, internal)
    assert attack(public) == []


def test_the_attacker_finds_the_old_leak() -> None:
    # the attacker itself must catch what the service used to answer (primary suppression only)
    answer: dict[str, Any] = {
        "total": 8,
        "overdue": 0,
        "by_year": [{"year": 2025, "count": 8}],
        "by_kind": [{"year": 2025, "kind": "deviation", "count": 8}],
        "by_law_area": [{"year": 2025, "law_area": "HSL", "count": 8}],
        "by_category_month": [
            {"month": "2025-03", "category": "fall", "count": "<5"},
            {"month": "2025-03", "category": "lakemedel", "count": 5},
        ],
        "by_org_unit": [{"org_unit_id": "oxelosund-sabo", "count": 8}],
        "by_org_subtree": [],
        "overdue_by_kind": [],
    }
    assert attack(answer) == [
        "('by_category_month', ('2025-03', 'fall')) = 3 from ('by_year', (2025,)) = Σ "
        "[('by_category_month', ('2025-03', 'fall')), ('by_category_month', ('2025-03', "
        "'lakemedel'))]"
    ]


@pytest.mark.parametrize("count", range(1, 12))
def test_every_split_of_a_small_total_is_protected(count: int) -> None:
    # all ways of splitting a total over three cells: no hidden cell pinned
    total = ("total", ())
    parts = [("by_year", (y,)) for y in (1, 2, 3)]
    for split in itertools.product(range(count + 1), repeat=3):
        if sum(split) != count:
            continue
        values: dict[Cell, int] = {total: count, **dict(zip(parts, split, strict=True))}
        relation = Relation(total, tuple(p for p in parts if values[p]))
        hidden = Suppression(values, [relation], THRESHOLD)
        shown = {cell: hidden.shown(cell) for cell in values}
        known = {
            c: v
            for c, v in values.items()
            if isinstance(shown[c], int) and c not in hidden.withheld_cells
        }
        ranges = {
            c: (0.0, math.inf)
            if c in hidden.withheld_cells
            else (1.0, THRESHOLD - 1.0)
            if shown[c] == "<5"
            else (float(THRESHOLD), math.inf)
            for c in values
            if c not in known
        }
        bounds = propagate(known, ranges, [relation])
        displayed = [c for c in ranges if c not in hidden.withheld_cells]
        assert all(bounds[c][0] < bounds[c][1] for c in displayed), (split, shown)
