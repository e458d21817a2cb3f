"""Outcome imports as real ledgers send them: rows booked by transdate, unplaced rows listed at
once or sent to a default unit, unmapped accounts skipped on request, files without #RAR,
warnings instead of refusals for what the import does not use, multipart uploads, and imports
that replace only their own source within the importer's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_budget.outcomes.models import Outcome, OutcomeImport
from styr_budget.outcomes.service import LEGACY_SIE_SOURCE
from styr_shared.testing import TokenFactory, metric_value

SETTINGS = "/api/v1/municipalities/oxelosund"

pytestmark = pytest.mark.usefixtures("demo")

HEADER = [
    "#FLAGGA 0",
    '#PROGRAM "Raindance" 2025.1',
    "#FORMAT PC8",
    "#SIETYP 4",
    "#RAR 0 20250101 20251231",
    '#KONTO 5010 "Löner"',
    '#OBJEKT 1 "7210" "Särskilt boende"',
    '#OBJEKT 1 "7120" "LSS-verksamhet"',
    '#OBJEKT 1 "7110" "IFO"',
]


HEADER_CSV = "period;org_unit_id;activity_code;account_group;amount\n"


def sie_file(lines: list[str], encoding: str = "cp437") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def voucher(date: str, *rows: str) -> list[str]:
    return [f'#VER A 1 {date} "Verifikation"', "{", *rows, "}"]


async def upload(client: AsyncClient, headers: dict[str, str], data: bytes, **params: Any) -> Any:
    return await client.post(
        "/api/v1/outcomes/sie",
        content=data,
        params=params,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


async def stored(client: AsyncClient, headers: dict[str, str]) -> dict[tuple[Any, ...], Decimal]:
    response = await client.get(
        "/api/v1/outcomes",
        params={"year": 2025, "limit": 500, "org_unit": "oxelosund"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result: dict[tuple[Any, ...], Decimal] = {}
    for row in response.json()["items"]:
        key = (row["month"], row["org_unit_id"], row["account_group"], row["source"])
        result[key] = result.get(key, Decimal(0)) + Decimal(str(row["amount"]))
    return result


async def test_rows_are_booked_by_their_transdate(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # one January voucher spreading a cost over the first quarter
    lines = HEADER + voucher(
        "20250115",
        '#TRANS 5010 {1 "7210"} 10667.00 20250131 "Jan"',
        '#TRANS 5010 {1 "7210"} 10667.00 20250228 "Feb"',
        '#TRANS 5010 {1 "7210"} 10667.00 20250331 "Mar"',
        '#TRANS 5010 {1 "7210"} 1000.00 "" "no transdate: the voucher date"',
        "#TRANS 2920 {} -33001.00",
    )
    response = await upload(client, controller, sie_file(lines))
    assert response.status_code == 201, response.text
    assert response.json()["periods"] == ["2025-01", "2025-02", "2025-03"]
    assert await stored(client, reader) == {
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-11667.00"),
        (2, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-10667.00"),
        (3, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-10667.00"),
    }
    # ?period= checks the row's own date: February and March are outside January
    refused = await upload(client, controller, sie_file(lines), period="2025-01")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.line.13"
    assert "2 rows, first lines 13, 14" in refused.json()["errors"][0]["message"]


async def test_unplaced_rows_are_all_listed_or_go_to_the_default_unit(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    lines = HEADER + voucher(
        "20250120",
        "#TRANS 5010 {} 100.00",
        '#TRANS 5010 {1 "9001"} 200.00',
        '#TRANS 6110 {1 "9001" 6 "P1"} 300.00',
        '#TRANS 5010 {1 "7210"} 400.00',
        "#TRANS 6110 {} 500.00",
        "#TRANS 5010 {} 600.00",
        "#TRANS 2440 {} -2100.00",
    )
    refused = await upload(client, controller, sie_file(lines))
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [(e["field"], e["type"], e["message"]) for e in errors] == [
        (
            "body.line.12",
            "no_org_unit",
            "account 5010 has rows without an object naming an org unit: 2 rows, "
            "first lines 12, 17",
        ),
        (
            "body.line.13",
            "unmapped_object",
            "object '9001' of dimension 1 is not mapped: 2 rows, first lines 13, 14",
        ),
        (
            "body.line.14",
            "unmapped_object",
            "object 'P1' of dimension 6 is not mapped: 1 row, first lines 14",
        ),
        (
            "body.line.16",
            "no_org_unit",
            "account 6110 has rows without an object naming an org unit: 1 row, first lines 16",
        ),
    ]
    assert await stored(client, reader) == {}

    unknown = await upload(client, controller, sie_file(lines), default_org_unit="nowhere")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.default_org_unit"

    response = await upload(client, controller, sie_file(lines), default_org_unit="oxelosund-ao")
    assert response.status_code == 201, response.text
    assert response.json()["rows_defaulted"] == 5
    assert await stored(client, reader) == {
        (1, "oxelosund-ao", "personalkostnader", "Raindance"): Decimal("-900.00"),
        (1, "oxelosund-ao", "lokalkostnader", "Raindance"): Decimal("-800.00"),
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-400.00"),
    }


async def test_unmapped_result_accounts_are_listed_or_skipped(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # the demo maps the four-digit accounts 3000–8999; five-digit ones are outside
    lines = HEADER + voucher(
        "20250120",
        '#TRANS 45110 {1 "7210"} 100.00',
        '#TRANS 45110 {1 "7210"} 100.00',
        '#TRANS 31100 {1 "7210"} -50.00',
        '#TRANS 5010 {1 "7210"} 400.00',
        "#TRANS 9100 {} 7.00",  # class 9 is no result account
        "#TRANS 2440 {} -557.00",
    )
    refused = await upload(client, controller, sie_file(lines))
    assert refused.status_code == 422
    assert [e["message"] for e in refused.json()["errors"]] == [
        "account 45110 has no account group mapping: 2 rows, first lines 12, 13",
        "account 31100 has no account group mapping: 1 row, first lines 14",
    ]
    response = await upload(client, controller, sie_file(lines), unmapped_accounts="skip")
    assert response.status_code == 201, response.text
    assert response.json()["accounts_skipped"] == 2
    assert response.json()["transactions"] == 6
    assert await stored(client, reader) == {
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-400.00"),
    }


async def test_files_as_programs_write_them(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # an SIE 4I import file: no #RAR; an empty voucher; a broken quote in a #KONTO name
    # (not used); an unbalanced voucher; tabs; a name in UTF-8 despite #FORMAT PC8
    lines = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        "#SIETYP 4",
        '#PROGRAM "Hogia Ekonomi" 1.0',
        '#KONTO 6110 "Lokalhyror',
        '#OBJEKT 1 "7210" "Särskilt boende"',
        '#VER A 1 20250301 "tom"',
        "{",
        "}",
        *voucher("20250305", '#TRANS\t6110\t{1 "7210"}\t300.00', "#TRANS\t2440\t{}\t-299.00"),
    ]
    response = await upload(client, controller, sie_file(lines, "utf-8"))
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["source"] == "Hogia Ekonomi"
    assert record["vouchers_skipped"] == 1
    assert record["periods"] == ["2025-03"]
    warnings = "\n".join(record["warnings"])
    assert "line 5: #KONTO: unterminated quoted string" in warnings
    assert "line 10: voucher does not balance (off by 1.00)" in warnings
    assert "1 vouchers without #TRANS rows skipped" in warnings
    assert await stored(client, reader) == {
        (3, "oxelosund-sabo", "lokalkostnader", "Hogia Ekonomi"): Decimal("-300.00"),
    }
    # #RAR 0 without dates: the year comes from the vouchers as well
    with_rar = [*lines[:3], "#RAR 0", *lines[3:]]
    assert (await upload(client, controller, sie_file(with_rar))).status_code == 201


async def test_multipart_upload(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    data = sie_file(
        HEADER + voucher("20250120", '#TRANS 5010 {1 "7210"} 400.00', "#TRANS 2440 {} -400.00")
    )
    runs = await metric_value(
        client, "styr_import_runs_total", service="budget", kind="outcome_sie", outcome="completed"
    )
    response = await client.post(
        "/api/v1/outcomes/sie",
        files={"file": ("januari.se", data, "application/octet-stream")},
        headers=controller,
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "januari.se"
    assert response.json()["transactions"] == 2
    assert runs + 1 == await metric_value(
        client, "styr_import_runs_total", service="budget", kind="outcome_sie", outcome="completed"
    )
    no_file = await client.post(
        "/api/v1/outcomes/sie", files={"other": (None, "x")}, headers=controller
    )
    assert no_file.status_code == 415
    assert "raw file" in no_file.json()["detail"]
    form = await client.post("/api/v1/outcomes/sie", data={"file": "x.se"}, headers=controller)
    assert form.status_code == 415
    csv = (
        "period;org_unit_id;activity_code;account_group;amount\n"
        "2025-02;oxelosund-lss;56;personalkostnader;-5\n"
    )
    response = await client.post(
        "/api/v1/outcomes/csv", files={"file": ("feb.csv", csv.encode())}, headers=controller
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "csv"


JANUARY = HEADER + voucher(
    "20250131",
    '#TRANS 5010 {1 "7210"} 100.00',
    '#TRANS 5010 {1 "7120"} 200.00',
    '#TRANS 5010 {1 "7110"} 300.00',
    "#TRANS 2920 {} -600.00",
)


async def test_import_replaces_only_its_source_within_the_importers_scope(
    client: AsyncClient, controller: dict[str, str], reader: dict[str, str], tokens: TokenFactory
) -> None:
    csv = (
        "period;org_unit_id;activity_code;account_group;amount\n"
        "2025-01;oxelosund-lss;56;personalkostnader;-5\n"
    )
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=csv.encode(),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert (await upload(client, controller, sie_file(JANUARY))).status_code == 201
    # the same month from another source leaves the CSV rows alone
    assert await stored(client, reader) == {
        (1, "oxelosund-lss", "personalkostnader", "csv"): Decimal("-5"),
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-100.00"),
        (1, "oxelosund-lss", "personalkostnader", "Raindance"): Decimal("-200.00"),
        (1, "oxelosund-ifo", "personalkostnader", "Raindance"): Decimal("-300.00"),
    }
    # an importer scoped to the social section sends its own one-row January: it replaces
    # the section's rows of that source (LSS, IFO), not the elderly care's (SÄBO)
    so_only = tokens.headers("importer", org_units=["oxelosund-so"])
    one_row = HEADER + voucher("20250110", '#TRANS 5010 {1 "7120"} 250.00', "#TRANS 2920 {} -250")
    response = await upload(client, so_only, sie_file(one_row))
    assert response.status_code == 201, response.text
    assert response.json()["replaced_rows"] == 2
    assert await stored(client, reader) == {
        (1, "oxelosund-lss", "personalkostnader", "csv"): Decimal("-5"),
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-100.00"),
        (1, "oxelosund-lss", "personalkostnader", "Raindance"): Decimal("-250.00"),
    }
    # the yearly rollup (what summaries read) holds every source
    summary = await client.get(
        "/api/v1/summaries",
        params={"org_unit": "oxelosund-von", "year": 2025, "period": 1, "group_by": "none"},
        headers=reader,
    )
    assert Decimal(str(summary.json()["total"]["outcome"])) == Decimal("-355.00")
    # a file touching a unit outside the scope is still refused
    assert (await upload(client, so_only, sie_file(JANUARY))).status_code == 403
    # ?source= names the rows: a re-import under another name adds, under the same replaces
    named = await upload(client, controller, sie_file(JANUARY), source="Raindance")
    assert named.json()["replaced_rows"] == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"#FLAGGA 0\r\n#SIETYP 4\r\n#VER A 1 20250101\x00\r\n", "NUL"),
        (b"#SIETYP 4\r\n#KONTO 3010 " + b"x" * 200_000 + b"\r\n", "longer than"),
        (sie_file([*HEADER, "#VER A 1 20250101", "{", "{", "}"]), "{ without a #VER"),
        (sie_file([*HEADER, *voucher("20250101", '#TRANS 5010 {1 {"7210"}} 1')]), "nested"),
        (sie_file([*HEADER, *voucher("20250101", '#TRANS 5010 {1 "7210" 1.00')]), "closing }"),
        (sie_file([*HEADER, "#VER A 1 20250101", "{", '#TRANS 5010 {1 "7210"} 1']), "closed"),
        (
            sie_file([*HEADER, *voucher("20250101", '#TRANS 5010 {1 "7210"} 9223372036854775808')]),
            "too large",
        ),
        (sie_file([*HEADER, *voucher("20250101", '#TRANS 5010 {1 "7210"} 1e400')]), "number"),
        (sie_file([*HEADER, *voucher("20250101", '#TRANS 5010 {1 "7210"} NaN')]), "number"),
        (sie_file(["#SIETYP 1", "#RAR 0 20250101 20251231"]), "type 1"),
        (b"\xff\xfe\x00garbage", "NUL"),
        (b"just some text\r\n", "no verifications"),
        (b"", "no verifications"),
    ],
)
async def test_hostile_input_is_refused_clearly(
    client: AsyncClient, controller: dict[str, str], data: bytes, message: str
) -> None:
    response = await upload(client, controller, data, default_org_unit="oxelosund-von")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].startswith("body.line.")
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (HEADER_CSV + "2025-01;oxelosund-lss;56;personalkostnader;-5\x00\n", 2),
        (HEADER_CSV + "2025-01;oxelosund-lss;56;personalkostnader;" + "9" * 100_000 + "\n", 2),
        (HEADER_CSV + "2025-01;oxelosund-lss;56;personalkostnader;99999999999999999\n", 2),
        (HEADER_CSV + "2025-01;oxelosund-lss;56;personalkostnader;-5\n\xff\n", 3),
    ],
)
async def test_hostile_csv_is_refused_with_its_line(
    client: AsyncClient, controller: dict[str, str], body: str, line: int
) -> None:
    response = await client.post(
        "/api/v1/outcomes/csv",
        content=body.encode("latin-1"),
        headers={**controller, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"body.line.{line}"


async def test_sums_beyond_the_stored_precision_are_refused(
    client: AsyncClient, controller: dict[str, str]
) -> None:
    # each row is inside the per-row limit (10¹⁴ kr), their sum is not inside Numeric(18, 2)
    rows = ['#TRANS 5010 {1 "7210"} 99999999999999.00'] * 200
    lines = HEADER + voucher("20250101", *rows, "#TRANS 2920 {} 0")
    response = await upload(client, controller, sie_file(lines))
    assert response.status_code == 422, response.text
    assert "too large" in response.json()["detail"]


async def test_object_codes_with_slashes_and_blanks(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
) -> None:
    for code, encoded in (("1/2", "1%2F2"), ("Hus A", "Hus%20A"), ("a/b c/", "a/b%20c/")):
        response = await client.put(
            f"{SETTINGS}/object-mappings/1/{encoded}",
            json={"org_unit_id": "oxelosund-hsl"},
            headers=settings_writer,
        )
        assert response.status_code == 200, response.text
        assert response.json()["object_code"] == code
    lines = HEADER + voucher(
        "20250101",
        '#TRANS 5010 {1 "1/2"} 10.00',
        '#TRANS 5010 {1 "Hus A"} 5.00',
        "#TRANS 2920 {} -15",
    )
    assert (await upload(client, controller, sie_file(lines))).status_code == 201
    assert await stored(client, reader) == {
        (1, "oxelosund-hsl", "personalkostnader", "Raindance"): Decimal("-15.00")
    }
    deleted = await client.delete(f"{SETTINGS}/object-mappings/1/1%2F2", headers=settings_writer)
    assert deleted.status_code == 204
    assert (
        await client.delete(f"{SETTINGS}/object-mappings/1/1%2F2", headers=settings_writer)
    ).status_code == 404
    mapped = await client.get(f"{SETTINGS}/object-mappings", headers=reader)
    codes = {(m["dimension"], m["object_code"]) for m in mapped.json()}
    assert (1, "1/2") not in codes
    assert (1, "Hus A") in codes


@pytest.mark.parametrize("encoding", ["cp437", "utf-8"])
async def test_object_codes_read_the_same_in_pc8_and_utf8(
    settings_writer: dict[str, str],
    client: AsyncClient,
    controller: dict[str, str],
    reader: dict[str, str],
    encoding: str,
) -> None:
    # some programs write UTF-8 despite #FORMAT PC8: the object still finds its mapping
    response = await client.put(
        f"{SETTINGS}/object-mappings/1/%C3%84ldre%C3%B6",  # "Äldreö"
        json={"org_unit_id": "oxelosund-ao"},
        headers=settings_writer,
    )
    assert response.status_code == 200, response.text
    lines = HEADER + voucher("20250101", '#TRANS 5010 {1 "Äldreö"} 10.00', "#TRANS 2920 {} -10")
    response = await upload(client, controller, sie_file(lines, encoding))
    assert response.status_code == 201, response.text
    assert await stored(client, reader) == {
        (1, "oxelosund-ao", "personalkostnader", "Raindance"): Decimal("-10.00")
    }


async def test_rows_imported_before_sources_are_replaced_by_the_next_sie_import(
    app: FastAPI, client: AsyncClient, controller: dict[str, str], reader: dict[str, str]
) -> None:
    # what migration 0003 makes of an earlier SIE import (its program was not kept)
    async with app.state.database.session() as session:
        record = OutcomeImport(
            municipality_id="oxelosund",
            source=LEGACY_SIE_SOURCE,
            format="sie",
            sha256="-",
            periods=["2025-01"],
            transactions=1,
            rows=1,
            replaced_rows=0,
            created_by="t",
        )
        session.add(record)
        await session.flush()
        assert record.id is not None
        session.add(
            Outcome(
                import_id=record.id,
                municipality_id="oxelosund",
                source=LEGACY_SIE_SOURCE,
                year=2025,
                month=1,
                org_unit_id="oxelosund-sabo",
                account_group_key="personalkostnader",
                amount=Decimal(-999),
            )
        )
        await session.commit()
    response = await upload(client, controller, sie_file(JANUARY))
    assert response.status_code == 201, response.text
    assert response.json()["replaced_rows"] == 1
    assert await stored(client, reader) == {
        (1, "oxelosund-sabo", "personalkostnader", "Raindance"): Decimal("-100.00"),
        (1, "oxelosund-lss", "personalkostnader", "Raindance"): Decimal("-200.00"),
        (1, "oxelosund-ifo", "personalkostnader", "Raindance"): Decimal("-300.00"),
    }


async def test_a_file_on_many_units_is_checked_against_the_importers_scope(
    client: AsyncClient, tokens: TokenFactory
) -> None:
    """More units than are checked one lineage at a time (a ledger books on thousands): every
    unit must still be in the importer's subtree, and the first one outside is named."""
    von = [
        "oxelosund-von",
        "oxelosund-vof",
        "oxelosund-so",
        "oxelosund-ao",
        "oxelosund-sabo",
        "oxelosund-hemtjanst",
        "oxelosund-hsl",
        "oxelosund-lss",
        "oxelosund-ifo",
    ]
    importer = tokens.headers("importer", org_units=["oxelosund-von"])

    def csv(units: list[str]) -> bytes:
        rows = "".join(f"2025-02;{unit};;personalkostnader;-1\n" for unit in units)
        return (HEADER_CSV + rows).encode()

    headers = {**importer, "Content-Type": "text/csv"}
    outside = await client.post(
        "/api/v1/outcomes/csv", content=csv([*von, "oxelosund-ks"]), headers=headers
    )
    assert outside.status_code == 403, outside.text
    assert "oxelosund-ks" in outside.json()["detail"]
    inside = await client.post("/api/v1/outcomes/csv", content=csv(von), headers=headers)
    assert inside.status_code == 201, inside.text
    assert inside.json()["rows"] == len(von)
