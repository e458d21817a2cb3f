"""Monthly budgets from the #PBUDGET rows of real SIE exports (tests/data/sie, see its README):
what the version holds per month × account equals a plain reading of the file's #PBUDGET rows
(the row without objects where the file has one for that month and account: type 3 files give
the total and its split by objects; otherwise the object rows, which then partition it)."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlmodel import col, select

from styr_budget.budgets.models import BudgetEntry, BudgetVersion
from styr_budget.outcomes.models import MONTH_COLUMNS

from .test_sie_samples import DATA, RESULT_CLASSES, UNIT, Sums, map_each_account

SETTINGS = "/api/v1/municipalities/oxelosund"

pytestmark = pytest.mark.usefixtures("org")

# file -> a year of its current budget (#PBUDGET 0)
BUDGET_FILES = {
    "avendo-typ2.se": 2011,
    "bl-administration-typ3.se": 2009,
    "briljant-typ4.se": 2008,
    "edison-typ3.se": 2012,
}
PBUDGET = re.compile(r"\s*#PBUDGET\s+0\s+(\d{4})(\d\d)\s+(\d+)\s*\{([^}]*)\}\s*(\S+)")


def reference_budget(data: bytes, year: int) -> Sums:
    """(year, month, account) → amount of the current year's (``0``) #PBUDGET rows of result
    accounts in the months of ``year``, ledger sign (BL's fiscal year runs July–June)."""
    totals: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    parts: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for raw in data.split(b"\n"):
        match = PBUDGET.match(raw.decode("latin-1"))
        if match and match.group(3)[0] in RESULT_CLASSES and int(match.group(1)) == year:
            _, month, account, objects, amount = match.groups()
            key = (year, int(month), int(account))
            (parts if objects.strip() else totals)[key] += Decimal(amount)
    found = {**parts, **totals}  # a row without objects is the account's total
    return {key: value for key, value in found.items() if value}


def budget_accounts(data: bytes) -> set[int]:
    """Every result account with a #PBUDGET row (zero rows too: they need a mapping)."""
    found = (PBUDGET.match(raw.decode("latin-1")) for raw in data.split(b"\n"))
    return {int(m.group(3)) for m in found if m and m.group(3)[0] in RESULT_CLASSES}


async def version_months(app: FastAPI, year: int) -> Sums:
    """The stored lines of version 1, per (year, month, account), back in the ledger's sign."""
    async with app.state.database.session() as session:
        entries = (
            await session.exec(
                select(BudgetEntry)
                .join(BudgetVersion, col(BudgetVersion.id) == col(BudgetEntry.version_id))
                .where(col(BudgetVersion.committee_id) == UNIT, col(BudgetVersion.year) == year)
            )
        ).all()
    sums: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for entry in entries:
        for month, column in enumerate(MONTH_COLUMNS, start=1):
            sums[(year, month, int(entry.account_group_key[1:]))] -= getattr(entry, column)
    return {key: value for key, value in sums.items() if value}


@pytest.mark.parametrize("name", sorted(BUDGET_FILES))
async def test_pbudget_rows_become_a_monthly_budget(
    settings_writer: dict[str, str],
    app: FastAPI,
    client: AsyncClient,
    controller: dict[str, str],
    name: str,
) -> None:
    year = BUDGET_FILES[name]
    data = (DATA / name).read_bytes()
    expected = reference_budget(data, year)
    assert expected, "the sample has budget rows"
    await map_each_account(app, budget_accounts(data))
    for path, body in (
        (f"{SETTINGS}/fiscal-years/{year}", {}),
        (f"{SETTINGS}/activity-codes/55", {"name": "Vård och omsorg"}),
        (f"/api/v1/budgets/{UNIT}/{year}/frame", {"amount": "1 000 kr"}),
    ):
        assert (await client.put(path, json=body, headers=settings_writer)).status_code == 200

    response = await client.post(
        f"/api/v1/budgets/{UNIT}/{year}/versions/sie",
        params={
            "kind": "original",
            "label": f"Budget {year} ({name})",
            "default_org_unit": UNIT,
            "default_activity": "55",
        },
        content=data,
        headers={**controller, "Content-Type": "application/octet-stream"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["rejected"] == []
    assert await version_months(app, year) == expected


async def test_rows_without_an_activity_are_reported_not_guessed(
    settings_writer: dict[str, str], app: FastAPI, client: AsyncClient, controller: dict[str, str]
) -> None:
    data = (DATA / "avendo-typ2.se").read_bytes()
    await map_each_account(app, budget_accounts(data))
    assert (
        await client.put(f"{SETTINGS}/fiscal-years/2011", json={}, headers=settings_writer)
    ).is_success
    frame = await client.put(
        f"/api/v1/budgets/{UNIT}/2011/frame", json={"amount": "1 000 kr"}, headers=controller
    )
    assert frame.is_success
    response = await client.post(
        f"/api/v1/budgets/{UNIT}/2011/versions/sie",
        params={"kind": "original", "label": "Budget", "default_org_unit": UNIT, "adopt": True},
        content=data,
        headers={**controller, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any("activity" in error["message"] for error in errors), errors
    unknown = await client.post(
        f"/api/v1/budgets/{UNIT}/2011/versions/sie",
        params={"kind": "original", "label": "Budget", "default_activity": "nope"},
        content=data,
        headers={**controller, "Content-Type": "application/octet-stream"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.default_activity"
