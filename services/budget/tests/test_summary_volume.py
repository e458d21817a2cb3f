"""A committee summary over a year of monthly outcome for 200 units (PostgreSQL).

No timing assert (shared CI machines vary); it proves the aggregate queries give exact totals
at volume, and prints the time per summary when run with ``-s``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import insert

from styr_budget.budgets.models import BudgetEntry, BudgetVersion
from styr_budget.outcomes.models import Outcome, OutcomeImport
from styr_budget.outcomes.service import rebuild_rollup
from styr_shared.testing import seed_org_replica
from styr_shared.testing.orgs import OXELOSUND

pytestmark = [pytest.mark.postgresql_only, pytest.mark.usefixtures("demo")]
UNITS = [f"unit-{n:03d}" for n in range(200)]
GROUPS = [
    "avgiftsintakter",
    "bidragsintakter",
    "ovriga_intakter",
    "personalkostnader",
    "lokalkostnader",
    "kop_av_verksamhet",
    "ovriga_kostnader",
    "anslagsintakter",
]
ACTIVITIES = ["55", "56"]


async def test_committee_summary_of_200_units(
    client: AsyncClient, app: FastAPI, reader: dict[str, str]
) -> None:
    sections = ["oxelosund-so", "oxelosund-ao"]
    extra = [
        (unit, unit.upper(), f"Enhet {unit}", "unit", sections[n % 2])
        for n, unit in enumerate(UNITS)
    ]
    await seed_org_replica(app.state.database, OXELOSUND + extra)
    async with app.state.database.session() as session:
        version = BudgetVersion(
            committee_id="oxelosund-von",
            year=2026,
            number=1,
            kind="original",
            label="volym",
            status="adopted",
            frame_net_amount=Decimal(0),
            created_by="t",
        )
        record = OutcomeImport(
            municipality_id="oxelosund",
            source="csv",
            sha256="-",
            periods=[],
            transactions=0,
            rows=0,
            replaced_rows=0,
            created_by="t",
        )
        session.add_all([version, record])
        await session.flush()
        outcome_rows = [
            {
                "import_id": record.id,
                "municipality_id": "oxelosund",
                "source": "csv",
                "year": year,
                "month": month,
                "org_unit_id": unit,
                "activity_code": activity,
                "account_group_key": group,
                "amount": Decimal("-1000.25") if "kostnader" in group else Decimal("500.50"),
            }
            for year in (2025, 2026)
            for month in range(1, 13)
            for unit in UNITS
            for activity in ACTIVITIES
            for group in GROUPS
        ]
        budget_rows = [
            {
                "version_id": version.id,
                "municipality_id": "oxelosund",
                "year": 2026,
                "org_unit_id": unit,
                "activity_code": activity,
                "account_group_key": group,
                "amount": Decimal("-12000.00") if "kostnader" in group else Decimal("6000.00"),
            }
            for unit in UNITS
            for activity in ACTIVITIES
            for group in GROUPS[:-1]
        ]
        connection = await session.connection()
        await connection.execute(insert(Outcome), outcome_rows)
        await connection.execute(insert(BudgetEntry), budget_rows)
        await rebuild_rollup(session, "oxelosund", {2025, 2026})
        await session.commit()

    params: dict[str, Any] = {
        "org_unit": "oxelosund-von",
        "year": 2026,
        "period": 12,
        "group_by": "account_group",
    }
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = await client.get("/api/v1/summaries", params=params, headers=reader)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    best = min(timings) * 1000
    print(f"\nsummary of {len(outcome_rows) // 2} outcome rows a year: best {best:.1f} ms")
    total = response.json()["total"]
    # per unit × activity × month: three "kostnader" groups at −1 000,25, four other
    # groups at 500,50, and the allocation (anslag) outside the net
    per_cell = 4 * Decimal("500.50") - 3 * Decimal("1000.25")
    assert Decimal(str(total["outcome"])) == per_cell * 200 * 2 * 12
    assert Decimal(str(total["allocation_outcome"])) == Decimal("500.50") * 200 * 2 * 12
    budget_cell = 4 * Decimal(6000) - 3 * Decimal(12000)
    assert Decimal(str(total["budget"])) == budget_cell * 200 * 2
    assert total["previous_year"]["outcome_change_percent"] == "0.0"
