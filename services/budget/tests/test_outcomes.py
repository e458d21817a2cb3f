"""Ledger outcome: a real SIE 4 file (CP437) and CSV, replacing months idempotently, and
broken files refused with their line number and nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from styr_budget.outcomes import sie
from styr_shared.testing import TokenFactory

pytestmark = pytest.mark.usefixtures("demo")

HEADER = [
    "#FLAGGA 0",
    '#PROGRAM "Styr testsvit" 1.0',
    "#FORMAT PC8",
    "#GEN 20250205",
    "#SIETYP 4",
    '#FNAMN "Oxelösunds kommun"',
    "#RAR 0 20250101 20251231",
    "#RAR -1 20240101 20241231",
    '#KONTO 1510 "Kundfordringar"',
    '#KONTO 2440 "Leverantörsskulder"',
    '#KONTO 2920 "Upplupna löner"',
    '#KONTO 3110 "Avgifter hemtjänst"',
    '#KONTO 4510 "Köp av huvudverksamhet"',
    '#KONTO 5010 "Löner månadsavlönade"',
    '#KONTO 6110 "Lokalhyror"',
    '#DIM 1 "Ansvar"',
    '#DIM 6 "Projekt"',
    '#DIM 20 "Verksamhet"',
    '#OBJEKT 1 "7210" "Särskilt boende"',
    '#OBJEKT 1 "7220" "Hemtjänst"',
    '#OBJEKT 1 "7120" "LSS-verksamhet"',
    '#OBJEKT 1 "7110" "Individ- och familjeomsorg"',
    '#OBJEKT 20 "54" "Individ och familjeomsorg"',
    '#OBJEKT 20 "55" "Vård och omsorg, SoL och HSL"',
    '#OBJEKT 20 "56" "Insatser enl LSS"',
    '#OBJEKT 6 "P1" "Placering \\"akut\\""',
]

JANUARY = [
    '#VER A 1 20250131 "Löner januari" 20250201',
    "{",
    '   #TRANS 5010 {1 "7210" 20 "55"} 1250000.00',
    '   #TRANS 5010 {1 "7220" 20 "55"} 830000.50 20250131 "Hemtjänst, löner"',
    '   #TRANS 5010 {1 "7120" 20 "56"} 610000.00',
    "   #TRANS 2920 {} -2690000.50",
    "}",
    '#VER A 2 20250115 "Hyra SÄBO"',
    "{",
    '   #TRANS 6110 {1 "7210" 20 "55"} 300000.00',
    "   #TRANS 2440 {} -300000.00",
    "}",
    '#VER B 1 20250120 "Avgifter hemtjänst"',
    "{",
    "   #TRANS 1510 {} 45000.00",
    '   #TRANS 3110 {1 "7220" 20 "55"} -45000.00',
    "}",
    '#VER B 2 20250128 "Placering"',
    "{",
    '   #TRANS 4510 {1 "7110" 20 "54" 6 "P1"} 120000.00',
    '   #RTRANS 4510 {1 "7110" 20 "54"} 5000.00 20250128 "Tillägg"',
    '   #TRANS 4510 {1 "7110" 20 "54"} 5000.00 20250128 "Tillägg"',
    "   #TRANS 2440 {} -125000.00",
    "}",
]


def sie_file(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("cp437")


def d(value: Any) -> Decimal:
    return Decimal(str(value))


async def upload(client: AsyncClient, headers: dict[str, str], data: bytes, **params: Any) -> Any:
    return await client.post(
        "/api/v1/outcomes/sie",
        content=data,
        params=params,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


async def january(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    query = {"org_unit": "oxelosund-von", "year": 2025, "period": 1, **params}
    response = await client.get("/api/v1/summaries", params=query, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_tokenizer_reads_quotes_and_object_lists() -> None:
    tokens = sie.tokenize('#TRANS 4510 {1 "7110" 20 "54"} -5000.00 20250128 "Sa \\"x\\" y"', 7)
    assert tokens == [
        "#TRANS",
        "4510",
        ["1", "7110", "20", "54"],
        "-5000.00",
        "20250128",
        'Sa "x" y',
    ]
    assert sie.tokenize("#TRANS 2440 {} -1", 1) == ["#TRANS", "2440", [], "-1"]
    with pytest.raises(sie.SieError) as error:
        sie.tokenize('#KONTO 3010 "unterminated', 12)
    assert error.value.line == 12


def test_parser_decodes_cp437() -> None:
    parsed = sie.parse(sie_file(HEADER + JANUARY))
    assert parsed.company == "Oxelösunds kommun"
    assert parsed.objects[(1, "7210")] == "Särskilt boende"
    assert parsed.objects[(6, "P1")] == 'Placering "akut"'
    assert len(parsed.verifications) == 4
    assert [len(v.transactions) for v in parsed.verifications] == [4, 2, 2, 3]


async def test_sie_import_shows_in_summaries(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    response = await upload(client, controller, sie_file(HEADER + JANUARY), filename="jan.se")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["periods"] == ["2025-01"]
    assert record["transactions"] == 11
    assert record["replaced_rows"] == 0
    stored = await client.get(
        "/api/v1/outcomes",
        params={"year": 2025, "month": 1, "org_unit": "oxelosund-so"},
        headers=reader,
    )
    assert sorted(
        (r["org_unit_id"], r["account_group"], d(r["amount"])) for r in stored.json()["items"]
    ) == [
        ("oxelosund-ifo", "kop_av_verksamhet", Decimal("-125000.00")),
        ("oxelosund-lss", "personalkostnader", Decimal("-610000.00")),
    ]

    by_unit = await january(client, reader, group_by="org_unit")
    rows = {row["key"]: row for row in by_unit["rows"]}
    assert d(rows["oxelosund-sabo"]["outcome"]) == Decimal("-1550000.00")
    assert d(rows["oxelosund-hemtjanst"]["outcome"]) == Decimal("-785000.50")
    assert d(rows["oxelosund-lss"]["outcome"]) == Decimal("-610000.00")
    assert d(rows["oxelosund-ifo"]["outcome"]) == Decimal("-125000.00")
    assert d(by_unit["total"]["outcome"]) == Decimal("-3070000.50")

    ao = await january(client, reader, org_unit="oxelosund-ao", group_by="account_group")
    groups = {row["key"]: row for row in ao["rows"]}
    assert d(groups["personalkostnader"]["outcome"]) == Decimal("-2080000.50")
    assert d(groups["personalkostnader"]["papers"]["outcome"]) == Decimal("2080000.50")
    assert d(groups["lokalkostnader"]["outcome"]) == Decimal("-300000.00")
    assert d(groups["avgiftsintakter"]["outcome"]) == Decimal("45000.00")

    activity = await january(client, reader, group_by="activity", unit="tkr")
    codes = {row["key"]: row for row in activity["rows"]}
    assert d(codes["55"]["outcome"]) == Decimal("-2335.0005")
    assert d(codes["56"]["outcome"]) == Decimal("-610")
    # year to date against the linear budget: 55 budgets −218 708 tkr for 2025
    assert d(codes["55"]["budget_ytd_linear"]) == Decimal("-18225.66667")


async def test_reimport_replaces_the_month(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    data = sie_file(HEADER + JANUARY)
    assert (await upload(client, controller, data)).status_code == 201
    again = await upload(client, controller, data)
    assert again.status_code == 201
    assert again.json()["replaced_rows"] == again.json()["rows"] == 6
    assert d((await january(client, reader))["total"]["outcome"]) == Decimal("-3070000.50")

    corrected = JANUARY[:7]  # only the salaries: the month is replaced as a whole
    assert (await upload(client, controller, sie_file(HEADER + corrected))).status_code == 201
    assert d((await january(client, reader))["total"]["outcome"]) == Decimal("-2690000.50")


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (lambda lines: [*lines, '#TRANS 5010 {1 "7210"} 1.00'], 51, "outside"),
        (
            lambda lines: [x.replace('{1 "7120" 20 "56"}', '{1 "9999" 20 "56"}') for x in lines],
            31,
            "9999",
        ),
        (lambda lines: [x.replace("#TRANS 6110", "#TRANS 6110x") for x in lines], 36, "account"),
        (lambda lines: [x.replace('"Hyra SÄBO"', '"Hyra SÄBO') for x in lines], 34, "quoted"),
        (lambda lines: [x.replace("20250120", "20250231") for x in lines], 39, "date"),
        (lambda lines: lines[:-1], 44, "not closed"),
        # a five-digit class 3 account outside the demo's four-digit ranges
        (lambda lines: [x.replace("#TRANS 3110", "#TRANS 31100") for x in lines], 42, "mapping"),
    ],
)
async def test_broken_file_is_refused_with_its_line(
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    change: Any,
    line: int,
    message: str,
) -> None:
    before = await january(client, reader)
    response = await upload(client, controller, sie_file(change(HEADER + JANUARY)))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == f"body.line.{line}", problem
    assert message in problem["detail"]
    assert await january(client, reader) == before
    imports = (
        await client.get(
            "/api/v1/outcomes/imports", params={"municipality": "oxelosund"}, headers=reader
        )
    ).json()["items"]
    assert [i["source"] for i in imports] == ["demo", "demo"]


async def test_import_outside_scope_is_forbidden(
    client: AsyncClient, tokens: TokenFactory, reader: dict[str, str]
) -> None:
    so_only = tokens.headers("importer", org_units=["oxelosund-so"])
    response = await upload(client, so_only, sie_file(HEADER + JANUARY))
    assert response.status_code == 403
    assert (await upload(client, reader, sie_file(HEADER + JANUARY))).status_code == 403
    assert (await january(client, reader))["total"]["outcome"] is None


async def test_expected_period_is_enforced(client: AsyncClient, controller: dict[str, str]) -> None:
    response = await upload(client, controller, sie_file(HEADER + JANUARY), period="2025-02")
    assert response.status_code == 422
    # the first row booked outside it (rows are booked on their own date)
    assert response.json()["errors"][0]["field"] == "body.line.29"


async def test_csv_import(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    csv = (
        "period;org_unit_id;activity_code;account_group;amount\n"
        "2025-01;oxelosund-lss;56;personalkostnader;-610 000\n"
        "2025-01;oxelosund-hemtjanst;55;avgiftsintakter;45 000,50\n"
        "2025-02;oxelosund-lss;56;personalkostnader;-0,6 mkr\n"
    )
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=csv.encode(),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["periods"] == ["2025-01", "2025-02"]
    two_months = await january(client, reader, period=2)
    assert d(two_months["total"]["outcome"]) == Decimal("-1164999.50")

    broken = csv.replace("45 000,50", "45 000,5x")
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=broken.encode(),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.line.3"


async def test_year_to_date_against_linear_and_seasonal_budget(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # 2024 profile for LSS: 10 tkr a month in January–June, 30 tkr in July–December, so a
    # quarter of the year's cost falls in the first half.
    rows = [
        f"2024-{month:02d};oxelosund-lss;56;personalkostnader;-{10 if month <= 6 else 30} tkr"
        for month in range(1, 13)
    ]
    rows += [f"2025-{month:02d};oxelosund-lss;56;personalkostnader;-5 000 tkr" for month in (1, 2)]
    csv = "period;org_unit_id;activity_code;account_group;amount\n" + "\n".join(rows)
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=csv.encode(),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    result = await january(client, reader, org_unit="oxelosund-lss", period=6, unit="tkr")
    row = {r["key"]: r for r in result["rows"]}["56"]
    assert d(row["budget"]) == Decimal(-66156)
    assert d(row["budget_ytd_linear"]) == Decimal(-33078)
    assert d(row["budget_ytd_seasonal"]) == Decimal(-16539)
    assert d(row["outcome"]) == Decimal(-10000)
    assert d(row["ytd_deviation_linear"]) == Decimal(23078)
    assert d(row["ytd_deviation_seasonal"]) == Decimal(6539)
    assert d(row["previous_year"]["outcome"]) == Decimal(-60)
