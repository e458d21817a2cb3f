"""Monthly budgets: periodisation keys, lines with months or keys, year-to-date budgets as
printed, revisions spread from their month, the monthly CSV import, and the year-to-date
figures of summaries."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient, Response

from styr_budget.amounts import MoneyUnit, parse_amount
from styr_budget.demo.loader import load_fixture
from styr_budget.outcomes.models import OutcomeYear
from styr_shared.testing import TokenFactory

pytestmark = pytest.mark.usefixtures("org")
BASE = "/api/v1/budgets/oxelosund-von/2026"
SETTINGS = "/api/v1/municipalities/oxelosund"
# a holiday-pay profile: July low, June and August a little higher
HOLIDAY = [9, 9, 9, 9, 9, 10, 3, 10, 8, 8, 8, 0]


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def months(values: list[Any]) -> list[Decimal]:
    return [d(value) for value in values]


@pytest.fixture
async def dims(
    settings_writer: dict[str, str], client: AsyncClient, controller: dict[str, str]
) -> None:
    calls = [
        (f"{SETTINGS}/fiscal-years/2026", {}),
        (f"{SETTINGS}/activity-codes/55", {"name": "Vård och omsorg, SoL och HSL"}),
        (f"{SETTINGS}/activity-codes/56", {"name": "Insatser enl LSS"}),
        (
            f"{SETTINGS}/periodisation-keys/semester",
            {"name": "Semesterlöneprofil", "weights": HOLIDAY},
        ),
        (f"{SETTINGS}/account-groups/personal", {"name": "Personalkostnader", "kind": "cost"}),
        (f"{SETTINGS}/account-groups/lokaler", {"name": "Lokalkostnader", "kind": "cost"}),
        (f"{SETTINGS}/account-groups/avgifter", {"name": "Avgiftsintäkter", "kind": "revenue"}),
        (f"{SETTINGS}/account-groups/anslag", {"name": "Anslag", "kind": "allocation"}),
    ]
    for path, body in calls:
        response = await client.put(path, json=body, headers=settings_writer)
        assert response.status_code == 200, response.text


def line(org_unit: str, code: str, group: str, amount: Any, **extra: Any) -> dict[str, Any]:
    return {
        "org_unit_id": org_unit,
        "activity_code": code,
        "account_group": group,
        "amount": amount,
        **extra,
    }


async def original(
    client: AsyncClient, headers: dict[str, str], lines: list[dict[str, Any]], frame: Any = None
) -> Response:
    if frame is None:
        frame = -sum((d(item["amount"]) for item in lines), Decimal(0))
    await client.put(f"{BASE}/frame", json={"amount": f"{frame} kr"}, headers=headers)
    return await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "Internbudget 2026", "lines": lines, "adopt": True},
        headers=headers,
    )


async def stored_lines(
    client: AsyncClient, headers: dict[str, str], **params: Any
) -> dict[tuple[str, str, str], dict[str, Any]]:
    response = await client.get(f"{BASE}/lines", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {
        (item["org_unit_id"], item["activity_code"], item["account_group"]): item
        for item in response.json()["lines"]
    }


async def import_outcome(
    client: AsyncClient, headers: dict[str, str], rows: list[tuple[str, str, str, str, Any]]
) -> None:
    text = "period;org_unit_id;activity_code;account_group;amount\n" + "".join(
        ";".join(str(cell) for cell in row) + "\n" for row in rows
    )
    response = await client.post("/api/v1/outcomes/csv", content=text.encode(), headers=headers)
    assert response.status_code == 201, response.text


async def summary(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    query = {"org_unit": "oxelosund-von", "year": 2026, **params}
    response = await client.get("/api/v1/summaries", params=query, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_periodisation_keys_are_data(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    keys = {
        k["key"]: k
        for k in (await client.get(f"{SETTINGS}/periodisation-keys", headers=reader)).json()
    }
    assert keys["linear"]["builtin"]
    assert keys["previous_year_outcome"]["weights"] is None
    assert months(keys["semester"]["weights"]) == months(HOLIDAY)
    assert keys["semester"]["builtin"] is False

    forbidden = await client.put(
        f"{SETTINGS}/periodisation-keys/x", json={"name": "X", "weights": [1] * 12}, headers=reader
    )
    assert forbidden.status_code == 403
    builtin = await client.put(
        f"{SETTINGS}/periodisation-keys/linear",
        json={"name": "X", "weights": [1] * 12},
        headers=settings_writer,
    )
    assert builtin.status_code == 422
    assert builtin.json()["errors"][0]["field"] == "path.key"
    for weights in ([1] * 11, [0] * 12, [-1] + [1] * 11, [0.00001] + [1] * 11):
        bad = await client.put(
            f"{SETTINGS}/periodisation-keys/x",
            json={"name": "X", "weights": weights},
            headers=settings_writer,
        )
        assert bad.status_code == 422, weights
        assert bad.json()["errors"][0]["field"].startswith("body.weights"), bad.json()

    unknown = await client.put(
        f"{SETTINGS}/account-groups/personal",
        json={"name": "Personalkostnader", "kind": "cost", "periodisation": "nope"},
        headers=settings_writer,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.periodisation"
    default = await client.put(
        f"{SETTINGS}/account-groups/personal",
        json={"name": "Personalkostnader", "kind": "cost", "periodisation": "semester"},
        headers=settings_writer,
    )
    assert default.status_code == 200
    assert default.json()["periodisation"] == "semester"


async def test_lines_with_months_keys_and_as_printed(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    await client.put(
        f"{SETTINGS}/account-groups/personal",
        json={"name": "Personalkostnader", "kind": "cost", "periodisation": "semester"},
        headers=settings_writer,
    )
    twelve = ["-10 tkr"] * 11 + ["-12 tkr"]
    lines = [
        # twelve months as given (tkr, inherited from the line)
        line("oxelosund-sabo", "55", "lokaler", "-122", unit="tkr", months=twelve),
        # no key, no months: the group's default key (semester)
        line("oxelosund-sabo", "55", "personal", "-1 000 000"),
        # an explicit key wins over the group's default
        line("oxelosund-lss", "56", "personal", -120000, periodisation="linear"),
        # a report printing January–November month by month: the rest in December
        line("oxelosund-hemtjanst", "55", "avgifter", 1200, months=[100] * 11),
        # a report printing one year-to-date figure January–November
        line("oxelosund-hemtjanst", "55", "lokaler", -1300, ytd_through=11, ytd_amount=-1100),
    ]
    adopted = await original(client, controller, lines, frame=1242100)
    assert adopted.status_code == 201, adopted.text
    stored = await stored_lines(client, reader)
    for item in stored.values():
        assert sum(months(item["months"]), Decimal(0)) == d(item["amount"]), item
    assert months(stored[("oxelosund-sabo", "55", "lokaler")]["months"]) == months(
        [-10000] * 11 + [-12000]
    )
    # 1 000 000 by 9,9,9,9,9,10,3,10,8,8,8,0 (sum 92): whole kronor, largest remainder
    personal = months(stored[("oxelosund-sabo", "55", "personal")]["months"])
    assert personal[6] == Decimal(-32609)
    assert personal[11] == 0
    assert personal[5] == personal[7] == Decimal(-108696)
    assert all(
        abs(m - Decimal(-1000000) * w / 92) < 1 for m, w in zip(personal, HOLIDAY, strict=True)
    )
    assert months(stored[("oxelosund-lss", "56", "personal")]["months"]) == [Decimal(-10000)] * 12
    assert months(stored[("oxelosund-hemtjanst", "55", "avgifter")]["months"]) == months([100] * 12)
    ytd = months(stored[("oxelosund-hemtjanst", "55", "lokaler")]["months"])
    assert sum(ytd[:11], Decimal(0)) == Decimal(-1100)
    assert ytd[11] == Decimal(-200)
    assert ytd[:2] == [Decimal(-100), Decimal(-100)]

    result = await summary(client, reader, period=11, group_by="org_unit")
    rows = {row["key"]: row for row in result["rows"]}
    assert d(rows["oxelosund-hemtjanst"]["budget_ytd"]) == Decimal(1100 - 1100)
    assert d(rows["oxelosund-sabo"]["budget_ytd"]) == Decimal(-10000 * 11 - 1000000)


async def test_line_month_errors(
    client: AsyncClient, controller: dict[str, str], dims: None
) -> None:
    await client.put(f"{BASE}/frame", json={"amount": "1 kr"}, headers=controller)
    bad = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "original",
            "label": "X",
            "lines": [
                line("oxelosund-sabo", "55", "personal", -12, months=[-1] * 11 + [-2]),
                line("oxelosund-lss", "56", "personal", -1, periodisation="nope"),
                line(
                    "oxelosund-lss", "55", "personal", -1, months=[-1], ytd_through=1, ytd_amount=-1
                ),
                line("oxelosund-ifo", "55", "personal", -1, months=[0] * 13),
                line("oxelosund-ifo", "56", "personal", -5, ytd_through=12, ytd_amount=-4),
                line("oxelosund-hsl", "56", "personal", -5, ytd_through=3),
            ],
        },
        headers=controller,
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {
        "body.lines.0.months",
        "body.lines.2.ytd_amount",
        "body.lines.3.months",
        "body.lines.4.ytd_amount",
        "body.lines.5.ytd_amount",
    }, bad.json()
    assert "add up to -13" in bad.json()["errors"][0]["message"]
    unknown_key = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "original",
            "label": "X",
            "lines": [line("oxelosund-lss", "56", "personal", -1, periodisation="nope")],
        },
        headers=controller,
    )
    assert unknown_key.status_code == 422
    assert unknown_key.json()["errors"][0]["field"] == "body.lines.0.periodisation"
    status = (await client.get(BASE, headers=controller)).json()
    assert status["versions"] == []


async def test_key_and_default_changes_spread_again(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    lines = [
        line("oxelosund-sabo", "55", "personal", -1200),
        line("oxelosund-lss", "56", "personal", -1200, periodisation="semester"),
        line("oxelosund-lss", "56", "lokaler", -1200, months=[-100] * 12),
    ]
    assert (await original(client, controller, lines)).status_code == 201
    stored = await stored_lines(client, reader)
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == [d(-100)] * 12

    await client.put(
        f"{SETTINGS}/account-groups/personal",
        json={"name": "Personalkostnader", "kind": "cost", "periodisation": "semester"},
        headers=settings_writer,
    )
    stored = await stored_lines(client, reader)
    sabo = months(stored[("oxelosund-sabo", "55", "personal")]["months"])
    assert sabo[6] == Decimal(-39)
    assert sabo[11] == 0
    changed = await client.put(
        f"{SETTINGS}/periodisation-keys/semester",
        json={"name": "Semester", "weights": [1] * 6 + [0] + [1] * 5},
        headers=settings_writer,
    )
    assert changed.status_code == 200
    stored = await stored_lines(client, reader)
    for key in (("oxelosund-sabo", "55", "personal"), ("oxelosund-lss", "56", "personal")):
        spread = months(stored[key]["months"])
        assert spread[6] == 0
        assert set(spread[:6] + spread[7:]) == {Decimal(-109), Decimal(-110)}
        assert sum(spread, Decimal(0)) == Decimal(-1200)
    # months given stay as given
    assert months(stored[("oxelosund-lss", "56", "lokaler")]["months"]) == [d(-100)] * 12
    result = await summary(client, reader, period=7, group_by="none")
    assert d(result["total"]["budget_ytd"]) == sum(
        (sum(months(item["months"])[:7], Decimal(0)) for item in stored.values()), Decimal(0)
    )


async def test_previous_year_outcome_follows_reimports(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [
        line("oxelosund-sabo", "55", "personal", -1200, periodisation="previous_year_outcome"),
        line("oxelosund-lss", "56", "personal", -1200, periodisation="previous_year_outcome"),
    ]
    assert (await original(client, controller, lines)).status_code == 201
    stored = await stored_lines(client, reader)
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == [d(-100)] * 12

    # 2025: SÄBO spent only in the first half; a credit in December counts as nothing
    rows = [(f"2025-{m:02d}", "oxelosund-sabo", "55", "personal", -50) for m in range(1, 7)]
    rows.append(("2025-12", "oxelosund-sabo", "55", "personal", 20))
    await import_outcome(client, controller, rows)
    stored = await stored_lines(client, reader)
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == (
        [d(-200)] * 6 + [d(0)] * 6
    )
    # no outcome for LSS in 2025: linear
    assert months(stored[("oxelosund-lss", "56", "personal")]["months"]) == [d(-100)] * 12

    # re-importing June 2025 changes the profile; the 2026 line follows in that transaction
    await import_outcome(
        client, controller, [("2025-06", "oxelosund-sabo", "55", "personal", -250)]
    )
    stored = await stored_lines(client, reader)
    expected = [d(-120)] * 5 + [d(-600)] + [d(0)] * 6  # 50 × 5 and 250 of 500
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == expected
    result = await summary(client, reader, period=5, group_by="org_unit")
    row = {r["key"]: r for r in result["rows"]}["oxelosund-sabo"]
    assert d(row["budget_ytd"]) == Decimal(-600)


async def test_reallocation_spreads_from_its_month(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [
        line("oxelosund-sabo", "55", "personal", -1200),
        line("oxelosund-lss", "56", "personal", -1200),
    ]
    assert (await original(client, controller, lines)).status_code == 201
    moved = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "reallocation",
            "label": "Omfördelning april",
            "reason": "LSS till SÄBO",
            "from_month": 4,
            "lines": [
                line("oxelosund-sabo", "55", "personal", -900),
                line("oxelosund-lss", "56", "personal", 900, months=[0, 0, 0, 900]),
            ],
            "adopt": True,
        },
        headers=controller,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["from_month"] == 4
    revised = await stored_lines(client, reader)
    assert months(revised[("oxelosund-sabo", "55", "personal")]["months"]) == (
        [d(-100)] * 3 + [d(-200)] * 9
    )
    assert months(revised[("oxelosund-lss", "56", "personal")]["months"]) == (
        [d(-100)] * 3 + [d(800)] + [d(-100)] * 8
    )
    first = await stored_lines(client, reader, version=1)
    assert months(first[("oxelosund-sabo", "55", "personal")]["months"]) == [d(-100)] * 12

    march = await summary(client, reader, period=3, group_by="none")
    assert d(march["total"]["budget_ytd"]) == Decimal(-600)
    april = await summary(client, reader, period=4, group_by="org_unit")
    rows = {row["key"]: row for row in april["rows"]}
    assert d(rows["oxelosund-sabo"]["budget_ytd"]) == Decimal(-500)
    assert d(rows["oxelosund-lss"]["budget_ytd"]) == Decimal(500)
    original_basis = await summary(client, reader, period=4, group_by="org_unit", budget="original")
    rows = {row["key"]: row for row in original_basis["rows"]}
    assert d(rows["oxelosund-sabo"]["budget_ytd"]) == Decimal(-400)
    bad = await client.post(
        f"{BASE}/versions",
        json={
            "kind": "reallocation",
            "label": "X",
            "reason": "X",
            "from_month": 13,
            "lines": [line("oxelosund-sabo", "55", "personal", 0)],
        },
        headers=controller,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.from_month"


async def test_summary_ytd_deviation(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [
        line("oxelosund-sabo", "55", "personal", -1200, months=[-50] * 6 + [-150] * 6),
        line("oxelosund-hemtjanst", "55", "avgifter", 240),
    ]
    assert (await original(client, controller, lines)).status_code == 201
    await import_outcome(
        client,
        controller,
        [
            *((f"2026-{m:02d}", "oxelosund-sabo", "55", "personal", -60) for m in range(1, 8)),
            *((f"2026-{m:02d}", "oxelosund-hemtjanst", "55", "avgifter", 25) for m in range(1, 8)),
            ("2026-07", "oxelosund-von", "", "anslag", 1000),
        ],
    )
    result = await summary(client, reader, period=7, group_by="account_group")
    rows = {row["key"]: row for row in result["rows"]}
    personal, fees = rows["personal"], rows["avgifter"]
    assert d(personal["budget_ytd"]) == Decimal(-450)
    assert d(personal["outcome"]) == Decimal(-420)
    assert d(personal["ytd_deviation"]) == Decimal(30)  # spent less than budgeted: favourable
    assert d(personal["budget_ytd_linear"]) == Decimal(-700)
    assert d(fees["budget_ytd"]) == Decimal(140)
    assert d(fees["ytd_deviation"]) == Decimal(35)
    assert rows["anslag"]["budget_ytd"] is None
    assert rows["anslag"]["ytd_deviation"] is None
    total = result["total"]
    assert d(total["budget_ytd"]) == Decimal(-310)
    assert d(total["ytd_deviation"]) == Decimal(65)
    tkr = await summary(client, reader, period=7, group_by="none", unit="tkr")
    assert d(tkr["total"]["budget_ytd"]) == Decimal("-0.31")
    revenue = await summary(client, reader, period=7, group_by="none", kind="revenue")
    assert d(revenue["total"]["budget_ytd"]) == Decimal(140)


CSV_HEADER = "period;org_unit_id;activity_code;account_group;amount\n"


async def post_csv(
    client: AsyncClient, headers: dict[str, str], text: str, **params: Any
) -> Response:
    query = {"kind": "original", "label": "Månadsbudget 2026", **params}
    return await client.post(
        f"{BASE}/versions/csv", params=query, content=text.encode(), headers=headers
    )


async def test_monthly_csv_import(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    await client.put(f"{BASE}/frame", json={"amount": "1 000 kr"}, headers=controller)
    rows = [f"2026-{m:02d};oxelosund-sabo;55;personal;-100" for m in range(1, 13)]
    rows += [
        "2026-03;oxelosund-sabo;55;personal;-10",  # adds to March
        "2026-01;oxelosund-lss;56;lokaler;-1 000",
        "2026-13;oxelosund-lss;56;personal;-1",  # rejected: period
        "2026-02;oxelosund-lss;56;personal;x",  # rejected: amount, and so its whole line
        "2026-03;oxelosund-lss;56;personal;-5",
        "2026-01;nowhere;55;personal;-1",
        "2026-01;oxelosund-ks;55;personal;-1",
        "2026-01;oxelosund-lss;99;personal;-1",
        "2026-01;oxelosund-lss;56;anslag;-1",
        "2025-12;oxelosund-lss;55;personal;-1",
        "2026-01;oxelosund-lss;56",
    ]
    response = await post_csv(client, controller, CSV_HEADER + "\n".join(rows) + "\n")
    assert response.status_code == 201, response.text
    body = response.json()
    rejected = {(row["line"], row["field"]) for row in body["rejected"]}
    assert rejected == {
        (16, "period"),
        (17, "amount"),
        (18, ""),
        (19, "org_unit_id"),
        (20, "org_unit_id"),
        (21, "activity_code"),
        (22, "account_group"),
        (23, "period"),
        (24, ""),
    }, body["rejected"]
    assert (body["rows"], body["lines"]) == (14, 2)
    assert body["version"]["status"] == "draft"
    assert d(body["version"]["lines_net_amount"]) == Decimal(-2210)

    adopted = await client.post(f"{BASE}/versions/1/adopt", headers=controller)
    assert adopted.status_code == 422  # the frame is 1 000 kr
    await client.put(f"{BASE}/frame", json={"amount": "2 210 kr"}, headers=controller)
    assert (await client.post(f"{BASE}/versions/1/adopt", headers=controller)).status_code == 200
    stored = await stored_lines(client, reader)
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == (
        [d(-100)] * 2 + [d(-110)] + [d(-100)] * 9
    )
    assert months(stored[("oxelosund-lss", "56", "lokaler")]["months"]) == (
        [d(-1000)] + [d(0)] * 11
    )


async def test_monthly_csv_as_printed_accounts_and_adopt(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    for start, end, group in ((5000, 5999, "personal"), (6000, 6199, "lokaler")):
        mapped = await client.post(
            f"{SETTINGS}/account-mappings",
            json={"account_from": start, "account_to": end, "account_group": group},
            headers=settings_writer,
        )
        assert mapped.status_code == 201
    await client.put(f"{BASE}/frame", json={"amount": "1 300 tkr"}, headers=controller)
    # a report printing January–November (tkr) and, per line, the annual budget
    rows = ["period;org_unit_id;activity_code;account;amount"]
    rows += [f"2026-{m:02d};oxelosund-sabo;55;5010;-50" for m in range(1, 12)]
    rows += [f"2026-{m:02d};oxelosund-sabo;55;5410;-40" for m in range(1, 12)]
    rows += ["2026;oxelosund-sabo;55;5010;-1 100", "2026;oxelosund-lss;56;6110;-200"]
    rows += ["2026-02;oxelosund-lss;56;6110;-20"]
    text = "\n".join(rows) + "\n"

    with_error = await post_csv(
        client, controller, text + "2026-01;oxelosund-lss;56;1930;-1\n", adopt="true", unit="tkr"
    )
    assert with_error.status_code == 422
    assert [e["field"] for e in with_error.json()["errors"]] == ["body.line.27.account"]
    assert (await client.get(BASE, headers=reader)).json()["versions"] == []

    response = await post_csv(client, controller, text, adopt="true", unit="tkr")
    assert response.status_code == 201, response.text
    assert response.json()["version"]["status"] == "adopted"
    assert response.json()["rejected"] == []
    stored = await stored_lines(client, reader)
    sabo = months(stored[("oxelosund-sabo", "55", "personal")]["months"])
    assert sabo[:11] == [d(-90000)] * 11
    assert sabo[11] == Decimal(-110000)
    lss = months(stored[("oxelosund-lss", "56", "lokaler")]["months"])
    assert lss[:11] == [d(0), d(-20000)] + [d(0)] * 9
    assert lss[11] == Decimal(-180000)
    result = await summary(client, reader, period=11, group_by="none", unit="tkr")
    assert d(result["total"]["budget_ytd"]) == Decimal(-990 - 20)

    second_annual = await post_csv(
        client,
        controller,
        "period;org_unit_id;activity_code;account_group;amount\n"
        "2026;oxelosund-lss;56;personal;0\n2026;oxelosund-lss;56;personal;-1\n",
        kind="reallocation",
        reason="x",
    )
    assert second_annual.status_code == 201, second_annual.text
    assert second_annual.json()["rejected"] == [
        {
            "line": 3,
            "field": "period",
            "message": "a second annual amount for the line (first: line 2)",
        }
    ]


async def test_monthly_csv_refusals_and_permissions(
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    tokens: TokenFactory,
    dims: None,
) -> None:
    await client.put(f"{BASE}/frame", json={"amount": "1 kr"}, headers=controller)
    good = CSV_HEADER + "2026-01;oxelosund-lss;56;personal;-1\n"
    assert (await post_csv(client, reader, good)).status_code == 403
    so_controller = tokens.headers("controller", org_units=["oxelosund-so"])
    assert (await post_csv(client, so_controller, good)).status_code == 403
    no_header = await post_csv(client, controller, "a;b\n1;2\n")
    assert no_header.status_code == 422
    assert no_header.json()["errors"][0]["field"] == "body.line.1"
    nothing = await post_csv(client, controller, CSV_HEADER + "2026-01;nowhere;56;personal;1\n")
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "body.line.2.org_unit_id"
    mismatch = await post_csv(
        client,
        controller,
        CSV_HEADER
        + "".join(f"2026-{m:02d};oxelosund-lss;56;personal;-1\n" for m in range(1, 13))
        + "2026;oxelosund-lss;56;personal;-13\n",
    )
    assert mismatch.status_code == 422
    assert len(mismatch.json()["errors"]) == 13
    no_reason = await post_csv(client, controller, good, kind="reallocation")
    assert no_reason.status_code in {409, 422}
    assert (await post_csv(client, controller, good, adopt="true")).status_code == 201
    # the SO controller may reallocate within SO once the original exists
    inside = await post_csv(
        client,
        so_controller,
        CSV_HEADER + "2026-05;oxelosund-lss;56;personal;0\n",
        kind="reallocation",
        reason="flytt mellan månader",
    )
    assert inside.status_code == 201, inside.text


@pytest.mark.usefixtures("demo")
async def test_demo_budget_is_spread_linearly(client: AsyncClient, reader: dict[str, str]) -> None:
    # the papers print no monthly budget: the demo lines are spread linearly (whole kronor,
    # the remainder's kronor in the first months), and the annual figures are unchanged
    full = await summary(client, reader, org_unit="oxelosund-von", year=2025, period=12)
    assert d(full["total"]["budget_ytd"]) == d(full["total"]["budget"]) == Decimal(-370697000)
    for row in full["rows"]:
        assert row["budget_ytd"] == row["budget"], row["key"]
    march = await summary(client, reader, org_unit="oxelosund-von", year=2025, period=3)
    expected = Decimal(0)
    for item in load_fixture()["internal_budget_2025"]["lines"]:
        amount = parse_amount(str(item["budget_2025"]), MoneyUnit.TKR)
        base, left = divmod(int(abs(amount)), 12)
        expected += (1 if amount > 0 else -1) * (3 * base + min(left, 3))
    assert d(march["total"]["budget_ytd"]) == expected


async def test_closed_year_keeps_its_months(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    dims: None,
) -> None:
    lines = [line("oxelosund-sabo", "55", "personal", -1200, periodisation="semester")]
    assert (await original(client, controller, lines)).status_code == 201
    before = await stored_lines(client, reader)
    closed = await client.put(
        f"{SETTINGS}/fiscal-years/2026", json={"closed": True}, headers=settings_writer
    )
    assert closed.status_code == 200
    changed = await client.put(
        f"{SETTINGS}/periodisation-keys/semester",
        json={"name": "Semester", "weights": [1] * 12},
        headers=settings_writer,
    )
    assert changed.status_code == 200
    assert await stored_lines(client, reader) == before


async def test_random_lines_add_up_in_the_database(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    # many lines of every kind (öre and kronor, keys, months, year-to-date), stored and summed
    # by the database: each line's months add up to its amount, and budget_ytd of every
    # period is the sum of the months the lines show
    rng = random.Random(20261203)
    await import_outcome(
        client,
        controller,
        [
            (f"2025-{m:02d}", unit, "55", "personal", rng.randint(-99999, 999))
            for m in range(1, 13)
            for unit in ("oxelosund-sabo", "oxelosund-hsl")
        ],
    )
    units = ["oxelosund-sabo", "oxelosund-hemtjanst", "oxelosund-hsl", "oxelosund-lss"]
    lines = []
    for unit in units:
        for code in ("55", "56"):
            for group in ("personal", "lokaler", "avgifter"):
                amount = Decimal(rng.randint(-(10**9), 10**9)) / rng.choice([1, 100])
                extra: dict[str, Any] = {}
                choice = rng.randrange(5)
                if choice == 0:
                    extra["periodisation"] = rng.choice(
                        ["linear", "semester", "previous_year_outcome"]
                    )
                elif choice == 1:
                    given = [Decimal(rng.randint(-(10**6), 10**6)) / 100 for _ in range(11)]
                    extra["months"] = [str(m) for m in given]
                    amount = sum(given, Decimal(0)) + Decimal(rng.randint(-(10**6), 10**6)) / 100
                elif choice == 2:
                    extra["ytd_through"] = rng.randint(1, 11)
                    extra["ytd_amount"] = str(Decimal(rng.randint(-(10**8), 10**8)) / 100)
                elif choice == 3:
                    extra["months"] = [
                        str(rng.randint(-9999, 9999)) for _ in range(rng.randint(1, 6))
                    ]
                lines.append(line(unit, code, group, str(amount), **extra))
    # a balancing line leaves a net cost of 1 000 kr (the frame is a positive allowance)
    total = sum((Decimal(item["amount"]) for item in lines), Decimal(0))
    lines.append(line("oxelosund-ifo", "55", "personal", str(-total - 1000)))
    await client.put(f"{BASE}/frame", json={"amount": "1000"}, headers=controller)
    created = await client.post(
        f"{BASE}/versions",
        json={"kind": "original", "label": "Slump", "lines": lines, "adopt": True},
        headers=controller,
    )
    assert created.status_code == 201, created.text
    stored = await stored_lines(client, reader)
    assert len(stored) == len(lines)
    for item in stored.values():
        assert sum(months(item["months"]), Decimal(0)) == d(item["amount"]), item
    for period in range(1, 13):
        result = await summary(client, reader, period=period, group_by="org_unit")
        for row in result["rows"]:
            expected = sum(
                (
                    sum(months(item["months"])[:period], Decimal(0))
                    for key, item in stored.items()
                    if key[0] == row["key"]
                ),
                Decimal(0),
            )
            assert d(row["budget_ytd"]) == expected, (period, row["key"])


async def test_monthly_csv_periodises_adopted_lines_as_printed(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [
        line("oxelosund-sabo", "55", "personal", -1200),
        line("oxelosund-lss", "56", "personal", -1200, periodisation="semester"),
        line("oxelosund-hemtjanst", "55", "avgifter", 1200),
    ]
    assert (await original(client, controller, lines)).status_code == 201
    before = await stored_lines(client, reader)
    # the November report prints only the periodised budget January–November
    rows = [f"2026-{m:02d};oxelosund-sabo;55;personal;-90" for m in range(1, 12)]
    rows += [f"2026-{m:02d};oxelosund-lss;56;personal;-80" for m in range(1, 12)]
    rows += ["2026-01;oxelosund-hsl;55;personal;-1", "2026;oxelosund-hemtjanst;55;avgifter;1"]
    text = CSV_HEADER + "\n".join(rows) + "\n"
    wrong_kind = await post_csv(client, controller, text, as_printed="true")
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["errors"][0]["field"] == "query.as_printed"

    response = await post_csv(
        client,
        controller,
        text,
        kind="reallocation",
        label="Budget enligt novemberrapporten",
        reason="Periodisering som i månadsrapporten",
        as_printed="true",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert {(row["line"], row["field"]) for row in body["rejected"]} == {(24, ""), (25, "period")}
    assert (body["lines"], body["version"]["from_month"]) == (2, 12)
    assert d(body["version"]["lines_net_amount"]) == 0
    assert (await client.post(f"{BASE}/versions/2/adopt", headers=controller)).status_code == 200

    after = await stored_lines(client, reader)
    sabo = months(after[("oxelosund-sabo", "55", "personal")]["months"])
    assert sabo == [d(-90)] * 11 + [d(-210)]
    lss = months(after[("oxelosund-lss", "56", "personal")]["months"])
    assert lss == [d(-80)] * 11 + [d(-320)]
    key = ("oxelosund-hemtjanst", "55", "avgifter")
    assert after[key] == before[key]
    for item in after.values():
        assert sum(months(item["months"]), Decimal(0)) == d(item["amount"])
    revised = await summary(client, reader, period=11, group_by="org_unit")
    assert {r["key"]: d(r["budget_ytd"]) for r in revised["rows"]}["oxelosund-sabo"] == -990
    first = await summary(client, reader, period=11, group_by="org_unit", budget="original")
    assert {r["key"]: d(r["budget_ytd"]) for r in first["rows"]}["oxelosund-sabo"] == -1100


async def test_as_printed_moves_the_difference_by_the_lines_key(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [line("oxelosund-lss", "56", "personal", -9200, periodisation="semester")]
    assert (await original(client, controller, lines)).status_code == 201
    # semester weights 9,9,9,9,9,10 | 3,10,8,8,8,0 of 92: −100 per weight unit
    printed = [f"2026-{m:02d};oxelosund-lss;56;personal;-1000" for m in range(1, 7)]
    response = await post_csv(
        client,
        controller,
        CSV_HEADER + "\n".join(printed) + "\n",
        kind="reallocation",
        reason="Halvårsrapporten",
        as_printed="true",
        adopt="true",
    )
    assert response.status_code == 201, response.text
    after = months(
        (await stored_lines(client, reader))[("oxelosund-lss", "56", "personal")]["months"]
    )
    assert after[:6] == [d(-1000)] * 6
    # 5 500 budgeted in January–June, 6 000 printed: 500 less for July–December, by the key
    assert after[6:] == months([-300 + 41, -1000 + 135, -800 + 108, -800 + 108, -800 + 108, 0])
    assert sum(after, Decimal(0)) == Decimal(-9200)


async def test_outcome_rows_added_as_objects_also_respread(
    client: AsyncClient, app: Any, controller: dict[str, str], reader: dict[str, str], dims: None
) -> None:
    lines = [line("oxelosund-sabo", "55", "personal", -1200, periodisation="previous_year_outcome")]
    assert (await original(client, controller, lines)).status_code == 201
    async with app.state.database.session() as session:
        session.add(
            OutcomeYear(
                municipality_id="oxelosund",
                year=2025,
                org_unit_id="oxelosund-sabo",
                activity_code="55",
                account_group_key="personal",
                m03=Decimal(-10),
            )
        )
        await session.commit()
    stored = await stored_lines(client, reader)
    assert months(stored[("oxelosund-sabo", "55", "personal")]["months"]) == (
        [d(0)] * 2 + [d(-1200)] + [d(0)] * 9
    )
