"""Real SIE exports of fourteen accounting programs (tests/data/sie, see its README) import
with a default org unit, and what is stored per month × account equals an independent, plain
reading of the file: the sum of its #TRANS rows by transdate (the voucher's date when a row has
none), and the file's own #PSALDO where it has one. Period-balance files (SIE 2 and 3) store
their balances, equal to the same program's voucher file."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlmodel import col, func, select

from styr_budget.dimensions.models import AccountGroup, AccountMapping, ObjectMapping
from styr_budget.outcomes.models import Outcome

pytestmark = pytest.mark.usefixtures("org")

DATA = Path(__file__).parent / "data" / "sie"
VOUCHER_FILES = {
    "avendo-typ4.se": "Avendo",
    "bl-administration-typ4.se": "BL Administration",
    "briljant-typ4.se": "BRILJANT EKONOMISYSTEM",
    "edison-typ4.se": "Edison Ekonomi Byrå",
    "fortnox-typ4i.si": "Fortnox Bokföring",
    "magenta-typ4e.se": "Magenta Bokföring",
    "mamut-enterprise-typ4.se": "Mamut Enterprise",
    "norstedts-bokslut-typ4e.se": "Norstedts Bokslut",
    "real09-typ4i.si": "REAL09",
    "softone-business-typ4.se": "SoftOne Business Redovisning",
    "softone-xe-typ4.se": "SoftOne XE",
    "specter-typ4.se": "Specter Business Management",
    "visma-administration-typ4-underdim.se": "Visma Administration 2000 med Visma Integration",
    "visma-eekonomi-typ4.se": "Visma Avendo eEkonomi",
}
# period-balance file -> the file whose sums it must equal (same program, company and year)
BALANCE_FILES = {
    "avendo-typ2.se": "avendo-typ2.se",  # its own #PSALDO totals
    "avendo-typ3.se": "avendo-typ2.se",  # rows that partition each account, no total row
    "bl-administration-typ3.se": "bl-administration-typ4.se",
    "edison-typ3.se": "edison-typ4.se",
    "mamut-enterprise-typ3.se": "mamut-enterprise-typ4.se",
}
RESULT_CLASSES = "345678"
UNIT = "oxelosund-von"
Sums = dict[tuple[int, int, int], Decimal]


def _fields(line: str) -> list[str]:
    return [field.strip('"') for field in re.findall(r'"[^"]*"|\S+', line)]


def reference_transactions(data: bytes) -> tuple[Sums, int]:
    """Ledger sums per (year, month, result account) of the #TRANS rows, by the row's own
    date or its voucher's; and the number of #TRANS rows. Plain regular expressions."""
    sums: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    voucher_date = ""
    count = 0
    for raw in data.split(b"\n"):
        line = raw.decode("latin-1").strip()
        if line.startswith("#VER"):
            voucher_date = _fields(line)[3]
        elif line.startswith("#TRANS"):
            count += 1
            match = re.match(r"#TRANS\s+(\S+)\s*\{[^}]*\}\s*(\S+)\s*(\S*)", line)
            assert match, line
            account, amount, transdate = match.groups()
            transdate = transdate.strip('"')
            day = transdate if re.fullmatch(r"\d{8}", transdate) else voucher_date
            if account.isdigit() and account[0] in RESULT_CLASSES:
                sums[(int(day[:4]), int(day[4:6]), int(account))] += Decimal(amount)
    return {key: value for key, value in sums.items() if value}, count


def reference_balances(data: bytes) -> Sums:
    """The file's own ``#PSALDO 0 YYYYMM account {} amount`` rows (account totals)."""
    sums: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for raw in data.split(b"\n"):
        line = raw.decode("latin-1").strip()
        match = re.match(r"#PSALDO\s+0\s+(\d{4})(\d\d)\s+(\d+)\s*\{\s*\}\s*(\S+)", line)
        if match and match.group(3)[0] in RESULT_CLASSES:
            year, month, account, amount = match.groups()
            sums[(int(year), int(month), int(account))] += Decimal(amount)
    return {key: value for key, value in sums.items() if value}


def result_accounts(*files: bytes) -> set[int]:
    found = set()
    for data in files:
        found |= {int(m) for m in re.findall(rb"#(?:TRANS|PSALDO\s+\S+\s+\d+)\s+([3-8]\d*)", data)}
    return found


async def map_each_account(app: FastAPI, accounts: set[int]) -> None:
    """One account group per ledger account, so stored sums can be read per account."""
    async with app.state.database.session() as session:
        for account in sorted(accounts):
            session.add(
                AccountGroup(
                    municipality_id="oxelosund",
                    key=f"a{account}",
                    name=f"Konto {account}",
                    kind="net",
                )
            )
        await session.flush()
        for account in sorted(accounts):
            session.add(
                AccountMapping(
                    municipality_id="oxelosund",
                    account_from=account,
                    account_to=account,
                    account_group_key=f"a{account}",
                )
            )
        await session.commit()


async def stored(app: FastAPI, org_unit: str | None = None) -> Sums:
    """Stored outcome per (year, month, account), back in the ledger's sign."""
    async with app.state.database.session() as session:
        statement = select(
            col(Outcome.year),
            col(Outcome.month),
            col(Outcome.account_group_key),
            func.sum(col(Outcome.amount)),
        ).group_by(col(Outcome.year), col(Outcome.month), col(Outcome.account_group_key))
        if org_unit is not None:
            statement = statement.where(col(Outcome.org_unit_id) == org_unit)
        rows = (await session.exec(statement)).all()
    return {(y, m, int(group[1:])): -Decimal(total) for y, m, group, total in rows if total}


async def post(client: AsyncClient, headers: dict[str, str], name: str, **params: Any) -> Any:
    return await client.post(
        "/api/v1/outcomes/sie",
        content=(DATA / name).read_bytes(),
        params={"filename": name, **params},
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def test_every_program_is_a_different_one() -> None:
    programs = {program.split()[0].lower() for program in VOUCHER_FILES.values()}
    assert len(programs) >= 11  # Visma twice, SoftOne twice: still eleven vendors
    assert sorted(path.name for path in DATA.glob("*.s[ei]")) == sorted(
        {*VOUCHER_FILES, *BALANCE_FILES}
    )


@pytest.mark.parametrize("name", sorted(VOUCHER_FILES))
async def test_voucher_file_stores_its_transactions_by_transdate(
    app: FastAPI, client: AsyncClient, controller: dict[str, str], name: str
) -> None:
    data = (DATA / name).read_bytes()
    expected, rows_in_file = reference_transactions(data)
    own_balances = reference_balances(data)
    if own_balances:  # the program's own periodisation agrees with the rows' transdates
        assert own_balances == expected
    await map_each_account(app, result_accounts(data))

    response = await post(client, controller, name, default_org_unit=UNIT, unmapped_accounts="skip")

    assert response.status_code == 201, response.text
    record = response.json()
    assert record["source"] == VOUCHER_FILES[name]
    assert record["transactions"] == rows_in_file
    assert await stored(app) == expected
    assert record["rows_defaulted"] > 0
    assert record["periods"] == sorted({f"{y:04d}-{m:02d}" for y, m, _ in expected})


@pytest.mark.parametrize("name", sorted(BALANCE_FILES))
async def test_period_balance_file_stores_its_balances(
    app: FastAPI, client: AsyncClient, controller: dict[str, str], name: str
) -> None:
    twin = (DATA / BALANCE_FILES[name]).read_bytes()
    expected = reference_balances(twin) if twin.count(b"#TRANS") == 0 else None
    if expected is None:
        expected, _ = reference_transactions(twin)
    await map_each_account(app, result_accounts((DATA / name).read_bytes()))

    response = await post(client, controller, name, default_org_unit=UNIT)

    assert response.status_code == 201, response.text
    assert await stored(app) == expected


async def test_type3_objects_split_the_account_by_org_unit(
    app: FastAPI, client: AsyncClient, controller: dict[str, str]
) -> None:
    # BL Administration's type 3: the row without objects is the account's total, rows of
    # dimension 1 (kostnadsställe) split it; mapped objects go to their units, the rest to
    # the default unit.
    data = (DATA / "bl-administration-typ3.se").read_bytes()
    totals = reference_balances(data)
    by_object: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for raw in data.split(b"\n"):
        match = re.match(
            r'\s*#PSALDO\s+0\s+(\d{4})(\d\d)\s+(\d+)\s*\{\s*"?1"?\s+"?([^"\s}]+)"?\s*\}\s*(\S+)',
            raw.decode("latin-1"),
        )
        if match and match.group(3)[0] in RESULT_CLASSES:
            year, month, account, _, amount = match.groups()
            by_object[(int(year), int(month), int(account))] += Decimal(amount)
    objects = {
        m.group(1)
        for m in re.finditer(rb'#PSALDO\s+0\s+\d+\s+[3-8]\d+\s*\{\s*"?1"?\s+"?([^"\s}]+)', data)
    }
    assert by_object
    assert objects
    await map_each_account(app, result_accounts(data))
    async with app.state.database.session() as session:
        for code in objects:
            session.add(
                ObjectMapping(
                    municipality_id="oxelosund",
                    dimension=1,
                    object_code=code.decode(),
                    org_unit_id="oxelosund-so",
                )
            )
        await session.commit()

    response = await post(client, controller, "bl-administration-typ3.se", default_org_unit=UNIT)

    assert response.status_code == 201, response.text
    assert await stored(app, "oxelosund-so") == {k: v for k, v in by_object.items() if v}
    rest = {key: totals.get(key, Decimal(0)) - by_object.get(key, Decimal(0)) for key in totals}
    assert await stored(app, UNIT) == {k: v for k, v in rest.items() if v}


async def test_without_default_every_unplaced_kind_is_listed(
    app: FastAPI, client: AsyncClient, controller: dict[str, str]
) -> None:
    # Avendo's export: result rows with objects of dimensions 1 and 7, and rows without any.
    name = "avendo-typ4.se"
    data = (DATA / name).read_bytes()
    await map_each_account(app, result_accounts(data))
    objects: dict[tuple[int, str], int] = defaultdict(int)
    objectless: dict[int, int] = defaultdict(int)
    for raw in data.split(b"\n"):
        line = raw.decode("cp437").strip()
        match = re.match(r"#TRANS\s+(\d+)\s*\{([^}]*)\}", line)
        if not match or match.group(1)[0] not in RESULT_CLASSES:
            continue
        pairs = re.findall(r'"?(\d+)"?\s+"([^"]*)"', match.group(2))
        for dimension, code in pairs:
            objects[(int(dimension), code)] += 1
        if not pairs:
            objectless[int(match.group(1))] += 1
    assert objects
    assert objectless

    response = await post(client, controller, name)

    assert response.status_code == 422, response.text
    messages = [error["message"] for error in response.json()["errors"]]
    assert len(messages) == len(objects) + len(objectless)
    for (dimension, code), count in objects.items():
        rows = "row" if count == 1 else "rows"
        wanted = f"object {code!r} of dimension {dimension} is not mapped: {count} {rows}"
        assert any(message.startswith(wanted) for message in messages), wanted
    for account, count in objectless.items():
        rows = "row" if count == 1 else "rows"
        wanted = f"account {account} has rows without an object naming an org unit: {count}"
        assert any(message.startswith(f"{wanted} {rows}") for message in messages), wanted
    assert await stored(app) == {}


async def test_ten_years_of_fifty_accounts_in_one_import(
    app: FastAPI, client: AsyncClient, controller: dict[str, str]
) -> None:
    # 6,000 stored rows: more than one INSERT's parameters allow (asyncpg: 32,767)
    await map_each_account(app, set(range(3000, 3050)))
    lines = ["#SIETYP 4", '#PROGRAM "Tioårsexport" 1']
    for number, (year, month) in enumerate(
        ((y, m) for y in range(2016, 2026) for m in range(1, 13)), start=1
    ):
        lines += [f"#VER A {number} {year}{month:02d}01", "{"]
        lines += [f"#TRANS {account} {{}} -1.00" for account in range(3000, 3050)]
        lines += ["#TRANS 1930 {} 50.00", "}"]
    data = ("\n".join(lines) + "\n").encode()
    response = await client.post(
        "/api/v1/outcomes/sie",
        content=data,
        params={"default_org_unit": UNIT},
        headers={**controller, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 6000
    assert len(await stored(app)) == 6000
    # a month more is a broken file, refused whole
    lines += ["#VER A 9999 20150101", "{", "#TRANS 3000 {} 1", "#TRANS 1930 {} -1", "}"]
    response = await client.post(
        "/api/v1/outcomes/sie",
        content=("\n".join(lines) + "\n").encode(),
        params={"default_org_unit": UNIT},
        headers={**controller, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422
    assert "rows span 121 months" in response.json()["detail"]
