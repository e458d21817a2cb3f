"""Statistics breakdowns (month, category per year, state, channel, external direction,
investigation outcome) with server-computed totals, on either date basis; and no hidden count
recoverable from them for a reader.

The attacker here reads only the JSON answer and what the documentation says of it: how the
counts add up (every relation the service documents, the breakdowns' totals equal to the
answer's year, kind and investigated counts, investigated ≤ registered) and what the markers
mean (``<5``: 1…4, ``x``: at least 5, a withheld breakdown's missing rows: anything). It
narrows the range of every hidden count through all relations at once, repeatedly, until
nothing narrows; no hidden count may come out as one value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from styr_deviations.cases.models import Case
from styr_deviations.demo.loader import build
from styr_shared.testing import TokenFactory
from styr_shared.testing.orgs import OXELOSUND

PARENTS = {unit: parent for unit, _, _, _, parent in OXELOSUND}
THRESHOLD = 5
TEMPLATE = build()[0][0]
Cell = tuple[str, tuple[Any, ...]]
Range = tuple[float, float]


def spec_row(serial: int, spec: dict[str, Any]) -> dict[str, Any]:
    reported = spec["reported"]
    kind = spec["kind"]
    return {
        **TEMPLATE,
        "municipality_id": "oxelosund",
        "reference_number": f"T.{serial}",
        "series": "T.*",
        "serial": serial,
        "kind": kind,
        "category": spec.get("category", "fall"),
        "law_area": "HSL",
        "regime": spec.get("regime", "standard"),
        "org_unit_id": spec.get("unit", "oxelosund-sabo"),
        "channel": spec.get("channel", "staff_report"),
        "event_time": spec.get("event"),
        "reported_at": reported,
        "received_at": reported,
        "acknowledged_at": reported,
        "state": spec.get("state", "closed"),
        "due_date": date(2024, 1, 1) if spec.get("overdue") else reported.date(),
        "closed_at": reported + timedelta(days=3),
        "external_direction": spec.get("direction") if kind == "external_deviation" else None,
        "investigation_outcome": spec.get("outcome"),
        "mas_took_over": spec.get("mas_took_over", False),
        "import_withdrawn_at": spec.get("withdrawn"),
    }


async def store(app: FastAPI, specs: list[dict[str, Any]]) -> None:
    async with app.state.database.session() as session:
        await session.exec(delete(Case))
        await session.commit()
    rows = [spec_row(serial, spec) for serial, spec in enumerate(specs, 1)]
    if rows:
        async with app.state.database.engine.begin() as connection:
            await connection.execute(insert(Case), rows)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def rows_of(breakdown: dict[str, Any], *, totals: bool = False) -> dict[Any, Any]:
    names = breakdown["totals_by" if totals else "keys"]
    items = breakdown["totals" if totals else "rows"]
    return {
        tuple(row[n] for n in names) if len(names) > 1 else row[names[0]]: row["count"]
        for row in items
    }


async def test_breakdowns_count_every_fact_with_their_totals(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    specs: list[dict[str, Any]] = [
        {"kind": "deviation", "reported": at(2024, 3, 5), "state": "closed"},
        {"kind": "deviation", "reported": at(2024, 3, 6), "state": "investigating"},
        {"kind": "deviation", "reported": at(2024, 11, 2), "regime": "lex_maria"},
        {"kind": "deviation", "reported": at(2024, 11, 3), "outcome": "no_deficiency"},
        {"kind": "deviation", "reported": at(2025, 1, 2), "mas_took_over": True},
        {"kind": "external_deviation", "reported": at(2024, 4, 1), "direction": "outgoing"},
        {"kind": "external_deviation", "reported": at(2024, 4, 2), "direction": "incoming"},
        {"kind": "external_deviation", "reported": at(2024, 4, 3)},
        {
            "kind": "complaint",
            "reported": at(2024, 5, 1),
            "channel": "web_form",
            "category": "hemtjanst",
        },
        {
            "kind": "complaint",
            "reported": at(2024, 5, 2),
            "channel": "patientnamnden",
            "category": "hemtjanst",
        },
        {"kind": "deviation", "reported": at(2024, 6, 1), "withdrawn": at(2024, 7, 1)},
    ]
    await store(app, specs)
    answer = (await client.get("/api/v1/statistics", headers=handler)).json()
    assert answer["date_basis"] == "registration"
    assert answer["total"] == 10  # the withdrawn import is not counted
    b = answer["breakdowns"]
    assert set(b) == {
        "by_month",
        "by_category_year",
        "by_state",
        "by_channel",
        "by_external_direction",
        "by_investigation_outcome",
    }
    assert rows_of(b["by_month"]) == {
        "2024-03": 2,
        "2024-04": 3,
        "2024-05": 2,
        "2024-11": 2,
        "2025-01": 1,
    }
    for name in ("by_month", "by_category_year", "by_state"):
        assert rows_of(b[name], totals=True) == {2024: 9, 2025: 1}
        assert b[name]["total"] == 10
    assert rows_of(b["by_category_year"]) == {
        (2024, "fall"): 7,
        (2024, "hemtjanst"): 2,
        (2025, "fall"): 1,
    }
    assert rows_of(b["by_state"]) == {
        (2024, "closed"): 8,
        (2024, "investigating"): 1,
        (2025, "closed"): 1,
    }
    assert rows_of(b["by_channel"]) == {
        (2024, "complaint", "patientnamnden"): 1,
        (2024, "complaint", "web_form"): 1,
        (2024, "deviation", "staff_report"): 4,
        (2024, "external_deviation", "staff_report"): 3,
        (2025, "deviation", "staff_report"): 1,
    }
    assert rows_of(b["by_channel"], totals=True) == {
        (2024, "complaint"): 2,
        (2024, "deviation"): 4,
        (2024, "external_deviation"): 3,
        (2025, "deviation"): 1,
    }
    assert rows_of(b["by_external_direction"]) == {
        (2024, ""): 1,
        (2024, "incoming"): 1,
        (2024, "outgoing"): 1,
    }
    assert (
        rows_of(b["by_external_direction"], totals=True),
        b["by_external_direction"]["total"],
    ) == ({2024: 3}, 3)
    assert rows_of(b["by_investigation_outcome"]) == {
        (2024, ""): 1,
        (2024, "no_deficiency"): 1,
        (2025, ""): 1,
    }
    assert rows_of(b["by_investigation_outcome"], totals=True) == {2024: 2, 2025: 1}
    assert b["by_investigation_outcome"]["total"] == 3


async def test_the_date_basis_moves_cases_between_months_and_years(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    await store(
        app,
        [
            # happened on New Year's Eve (Swedish time), registered on 2 January
            {"kind": "deviation", "reported": at(2025, 1, 2), "event": at(2024, 12, 31, 22)},
            {"kind": "deviation", "reported": at(2025, 1, 3), "event": None},
            # 23:30 UTC on 31 January is 1 February in Sweden
            {"kind": "deviation", "reported": at(2025, 2, 3), "event": at(2025, 1, 31, 23)},
        ],
    )

    async def get(**params: Any) -> dict[str, Any]:
        response = await client.get("/api/v1/statistics", params=params, headers=handler)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    registration = await get()
    assert rows_of(registration["breakdowns"]["by_month"]) == {"2025-01": 2, "2025-02": 1}
    event = await get(date_basis="event")
    assert event["date_basis"] == "event"
    assert rows_of(event["breakdowns"]["by_month"]) == {"2024-12": 1, "2025-01": 1, "2025-02": 1}
    assert {row["year"]: row["count"] for row in event["by_year"]} == {2024: 1, 2025: 2}
    assert (await get(date_basis="event", from_year=2024, to_year=2024))["total"] == 1
    assert (await get(from_year=2024, to_year=2024))["total"] == 0
    bad = await client.get("/api/v1/statistics", params={"date_basis": "x"}, headers=handler)
    assert bad.status_code == 422


# --- the attacker -------------------------------------------------------------------------------

EXISTING = {
    "by_year": ("year",),
    "by_kind": ("year", "kind"),
    "by_law_area": ("year", "law_area"),
    "by_category_month": ("month", "category"),
    "by_org_unit": ("org_unit_id",),
    "by_org_subtree": ("org_unit_id",),
    "overdue_by_kind": ("kind",),
}
# what each breakdown's totals rows are, as the documentation says: (table, key of a totals row)
TOTALS_ARE: dict[str, Callable[[tuple[Any, ...]], Cell]] = {
    "by_month": lambda key: ("by_year", key),
    "by_category_year": lambda key: ("by_year", key),
    "by_state": lambda key: ("by_year", key),
    "by_channel": lambda key: ("by_kind", key),
    "by_external_direction": lambda key: ("by_kind", (*key, "external_deviation")),
    "by_investigation_outcome": lambda key: ("investigated", key),
}
GRAND_TOTAL_IS = {
    "by_external_direction": "external_deviations",
    "by_investigation_outcome": "investigated_total",
}


def recover(answer: dict[str, Any]) -> list[str]:
    """Every hidden count of ``answer`` the attacker pins to one value; also checks that the
    answer says the same count the same way wherever it shows it."""
    cells: dict[Cell, Any] = {("total", ()): answer["total"], ("overdue", ()): answer["overdue"]}
    for table, names in EXISTING.items():
        for row in answer[table]:
            cells[(table, tuple(row[n] for n in names))] = row["count"]
    withheld = {
        (item["breakdown"], item["of"], tuple(item["key"].values())) for item in answer["withheld"]
    }
    # (total, parts, breakdown the parts are listed in)
    relations: list[tuple[Cell, list[Cell], str]] = []

    def of(table: str) -> list[Cell]:
        return [cell for cell in cells if cell[0] == table]

    def alias(cell: Cell, value: Any) -> None:
        if cell in cells:
            assert cells[cell] == value, (cell, cells[cell], value)  # one count, one showing
        cells[cell] = value

    for name, breakdown in answer["breakdowns"].items():
        listed_rows: dict[tuple[Any, ...], list[Cell]] = {}
        for row in breakdown["rows"]:
            key = tuple(row[n] for n in breakdown["keys"])
            cells[(name, key)] = row["count"]
            parent = (
                (int(key[0][:4]),) if name == "by_month" else key[: len(breakdown["totals_by"])]
            )
            listed_rows.setdefault(parent, []).append((name, key))
        for row in breakdown["totals"]:
            key = tuple(row[n] for n in breakdown["totals_by"])
            total_cell = TOTALS_ARE[name](key)
            alias(total_cell, row["count"])
            relations.append((total_cell, listed_rows.get(key, []), name))
        grand = GRAND_TOTAL_IS.get(name, "total")
        alias((grand, ()), breakdown["total"])
        totals_table = TOTALS_ARE[name](("?",))[0]
        if grand != "total" and not any(b == totals_table for b, _, _ in withheld):
            # (a totals row left out where its own table's rows are withheld)
            listed = [
                TOTALS_ARE[name](tuple(row[n] for n in breakdown["totals_by"]))
                for row in breakdown["totals"]
            ]
            relations.append(((grand, ()), listed, name))
    # investigated ≤ registered, per year: a year is its investigated cases and the rest
    for year_cell in of("by_year"):
        rest: Cell = ("not_investigated", year_cell[1])
        cells[rest] = None  # never shown: 0 … ∞
        parts = [rest] + (
            [("investigated", year_cell[1])] if ("investigated", year_cell[1]) in cells else []
        )
        relations.append((year_cell, parts, "investigated"))
    relations += [
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
    top = [c for c in of("by_org_subtree") if PARENTS.get(c[1][0]) not in subtrees]
    relations.append((("total", ()), top, "by_org_subtree"))
    for unit in subtrees:
        parts = [c for c in of("by_org_subtree") if PARENTS.get(c[1][0]) == unit]
        if ("by_org_unit", (unit,)) in cells:
            parts.append(("by_org_unit", (unit,)))
        relations.append((("by_org_subtree", (unit,)), parts, "by_org_subtree"))
    subtree_withheld = any(b == "by_org_subtree" for b, _, _ in withheld)

    usable = []
    for total, parts, breakdown in relations:
        if total not in cells or (breakdown, total[0], total[1]) in withheld:
            continue  # its rows are not all listed: a missing one is no zero
        if breakdown in ("by_org_unit", "by_org_subtree") and subtree_withheld:
            continue  # a unit's own row may be left out with its subtree's breakdown
        if any((b, o, k) in withheld for b, o, k in ((breakdown, "total", ()),)):
            continue
        usable.append((total, parts))

    def initial(value: Any) -> Range:
        if value is None or value == "withheld":
            return (0, math.inf)
        if isinstance(value, int):
            return (value, value)
        return (1, THRESHOLD - 1) if value == f"<{THRESHOLD}" else (THRESHOLD, math.inf)

    bounds = {cell: initial(value) for cell, value in cells.items()}
    for _ in range(500):
        changed = False
        for total, parts in usable:
            lows = [bounds[p][0] for p in parts]
            highs = [bounds[p][1] for p in parts]
            t_low, t_high = bounds[total]
            new_total = (max(t_low, sum(lows)), min(t_high, sum(highs)))
            if new_total != (t_low, t_high):
                bounds[total], changed = new_total, True
                t_low, t_high = new_total
            for index, part in enumerate(parts):
                others_low = sum(lows) - lows[index]
                others_high = sum(h for i, h in enumerate(highs) if i != index)
                low, high = bounds[part]
                narrowed = (max(low, t_low - others_high), min(high, t_high - others_low))
                if narrowed != (low, high):
                    bounds[part], changed = narrowed, True
        if not changed:
            break
    bad = [cell for cell, (low, high) in bounds.items() if low > high]
    assert not bad, ("the answer contradicts itself", bad[:3], answer)
    return [
        f"{cell} = {bounds[cell][0]}"
        for cell, value in cells.items()
        if isinstance(value, str) and bounds[cell][0] == bounds[cell][1]
    ]


def lineage(unit: str | None) -> list[str]:
    units = []
    while unit is not None:
        units.append(unit)
        unit = PARENTS.get(unit)
    return units


def test_the_attacker_finds_a_leak_through_breakdown_totals() -> None:
    # the attacker must catch a hidden cell given away by a breakdown's totals
    answer: dict[str, Any] = {
        "total": 8,
        "overdue": 0,
        "withheld": [],
        "by_year": [{"year": 2025, "count": 8}],
        "by_kind": [{"year": 2025, "kind": "deviation", "count": 8}],
        "by_law_area": [{"year": 2025, "law_area": "HSL", "count": 8}],
        "by_category_month": [{"month": "2025-03", "category": "fall", "count": 8}],
        "by_org_unit": [{"org_unit_id": "oxelosund-sabo", "count": 8}],
        "by_org_subtree": [{"org_unit_id": unit, "count": 8} for unit in lineage("oxelosund-sabo")],
        "overdue_by_kind": [],
        "breakdowns": {
            "by_state": {
                "keys": ["year", "state"],
                "totals_by": ["year"],
                "rows": [
                    {"year": 2025, "state": "closed", "count": "<5"},
                    {"year": 2025, "state": "registered", "count": 6},
                ],
                "totals": [{"year": 2025, "count": 8}],
                "total": 8,
            }
        },
    }
    assert recover(answer) == ["('by_state', (2025, 'closed')) = 2"]


units = ["oxelosund-sabo", "oxelosund-hemtjanst", "oxelosund-lss"]
specs_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["deviation", "external_deviation", "complaint"]),
            "reported": st.sampled_from([at(2024, 3, 10), at(2024, 11, 10), at(2025, 2, 10)]),
            "event": st.sampled_from([None, at(2023, 12, 31, 23), at(2024, 10, 1)]),
            "unit": st.sampled_from(units),
            "state": st.sampled_from(["closed", "registered", "investigating"]),
            "channel": st.sampled_from(["staff_report", "letter", "web_form"]),
            "direction": st.sampled_from([None, "incoming", "outgoing"]),
            "outcome": st.sampled_from([None, None, "no_deficiency", "lex_sarah"]),
            "regime": st.sampled_from(["standard", "standard", "lex_maria"]),
            "category": st.sampled_from(["fall", "lakemedel"]),
            "overdue": st.booleans(),
        }
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a few requests
)
@given(
    specs=specs_strategy,
    basis=st.sampled_from(["registration", "event"]),
    scope=st.sampled_from([None, "oxelosund-ao"]),
)
async def test_no_hidden_count_can_be_recovered_from_any_breakdown(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    specs: list[dict[str, Any]],
    basis: str,
    scope: str | None,
) -> None:
    await store(app, specs)
    reader = tokens.headers("reader", org_units=["oxelosund"])
    handler = tokens.headers("case_handler", org_units=["oxelosund"])
    params: dict[str, Any] = {"date_basis": basis}
    if scope is not None:
        params["org_unit_id"] = scope
    public = (await client.get("/api/v1/statistics", params=params, headers=reader)).json()
    internal = (await client.get("/api/v1/statistics", params=params, headers=handler)).json()
    assert public["suppressed"] is True
    assert internal["suppressed"] is False
    # the handler's totals add up; the reader's shown counts are the true ones, markers honest
    for name, breakdown in internal["breakdowns"].items():
        sums: dict[Any, int] = {}
        width = len(breakdown["totals_by"])
        for row in breakdown["rows"]:
            key = tuple(row[n] for n in breakdown["keys"])
            parent = (int(key[0][:4]),) if name == "by_month" else key[:width]
            sums[parent] = sums.get(parent, 0) + row["count"]
        totals = {
            tuple(r[n] for n in breakdown["totals_by"]): r["count"] for r in breakdown["totals"]
        }
        assert sums == totals, name
        assert sum(totals.values()) == breakdown["total"], name
        shown = public["breakdowns"][name]
        for part in ("rows", "totals"):
            names = breakdown["keys" if part == "rows" else "totals_by"]
            true = {tuple(r[n] for n in names): r["count"] for r in breakdown[part]}
            for row in shown[part]:
                value, real = row["count"], true[tuple(row[n] for n in names)]
                if value == f"<{THRESHOLD}":
                    assert 0 < real < THRESHOLD
                elif value == "x":
                    assert real >= THRESHOLD
                else:
                    assert value == real
                    assert not 0 < real < THRESHOLD
            if len(shown[part]) != len(breakdown[part]):
                assert public["withheld"], (name, part)
    assert recover(public) == []
