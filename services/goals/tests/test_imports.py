"""The nightly bulk import: every format, idempotency, per-row errors, modes and scope."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import make_url
from sqlmodel import col, func, select

from styr_goals.app import create_app
from styr_goals.imports import service as import_service
from styr_goals.imports import writer
from styr_goals.imports.cli import main as styr_cli
from styr_goals.imports.models import ImportRun
from styr_goals.imports.resolve import Catalogue
from styr_goals.measures.models import Measure, MeasureValue, MeasureValueAudit, ValuePeriodLock
from styr_goals.orgunits.models import OrgLevel, OrgUnit
from styr_goals.settings import GoalsSettings
from styr_shared.testing import TokenFactory, UvicornThread, metric_value
from styr_shared.types import utcnow

URL = "/api/v1/measure-values/import"
NOTHING_SKIPPED: dict[str, Any] = {"skipped": 0, "skipped_by_reason": {}}
CSV = {"content-type": "text/csv"}

MEASURES: list[dict[str, Any]] = [
    {"id": "m-year", "code": "M-01", "periodicity": "year", "kolada_kpi_id": "U21468"},
    {"id": "m-half", "code": "M-02", "periodicity": "half_year"},
    {"id": "m-tertial", "code": "M-03", "periodicity": "tertial"},
    {"id": "m-quarter", "code": "M-04", "periodicity": "quarter"},
    {"id": "m-month", "code": "M-05", "periodicity": "month"},
    {"id": "m-day", "code": "M-06", "periodicity": "point_in_time", "point_in_time": "12-01"},
    {"id": "m-seg", "code": "M-07", "periodicity": "year", "segments": ["SÄBO", "Hemtjänst"]},
    {"id": "m-gender", "code": "M-08", "periodicity": "year", "gender_split": True},
]


@pytest.fixture
async def catalogue(client: AsyncClient, app: FastAPI) -> None:
    async with app.state.database.session() as session:
        for key, label, rank in [
            ("municipality", "Kommun", 0),
            ("committee", "Nämnd", 1),
            ("unit", "Enhet", 4),
        ]:
            session.add(OrgLevel(key=key, label=label, rank=rank))
        await session.flush()
        session.add(
            OrgUnit(
                id="oxelosund",
                code="OXD",
                name="Oxelösunds kommun",
                level="municipality",
                municipality_id="oxelosund",
                kolada_id="0481",
            )
        )
        await session.flush()
        session.add(
            OrgUnit(
                id="oxelosund-von",
                code="VON",
                name="VON",
                level="committee",
                parent_id="oxelosund",
                municipality_id="oxelosund",
            )
        )
        session.add(
            OrgUnit(
                id="oxelosund-ks",
                code="KS",
                name="KS",
                level="committee",
                parent_id="oxelosund",
                municipality_id="oxelosund",
            )
        )
        await session.flush()
        session.add(
            OrgUnit(
                id="oxelosund-sabo",
                code="SÄBO",
                name="Särskilt boende",
                level="unit",
                parent_id="oxelosund-von",
                municipality_id="oxelosund",
            )
        )
        for spec in MEASURES:
            session.add(
                Measure(
                    org_unit_id="oxelosund-von",
                    name=spec["code"],
                    unit_kind="percent",
                    direction="higher_better",
                    decimals=1,
                    **spec,
                )
            )
        await session.commit()


@pytest.fixture
def importer(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("importer", org_units=["oxelosund"], subject="viva-nightly")


async def _values(app: FastAPI) -> dict[tuple[str, str, str, str, str], MeasureValue]:
    async with app.state.database.session() as session:
        rows = (await session.exec(select(MeasureValue))).all()
    return {(v.measure_id, v.org_unit_id, v.period, v.segment, v.gender): v for v in rows}


async def _audits(app: FastAPI) -> list[MeasureValueAudit]:
    async with app.state.database.session() as session:
        return list(
            (
                await session.exec(select(MeasureValueAudit).order_by(col(MeasureValueAudit.id)))
            ).all()
        )


GOOD_CSV = (
    "\ufeffmeasure;org_unit;period;value;segment;gender;numerator;denominator;status;comment\n"
    "M-01;VON;2024;1 234,5;;;;;;Viva\n"
    "m-half;oxelosund-von;2024-H1;89,77;;;;;preliminary;\n"
    "M-03;VON;2024-t2;12;;;3;25;final;\n"
    "M-04;VON;2024-Q3;-3,25;;;;;;\n"
    "M-05;SÄBO;2024-08;7;;;;;;\n"
    "M-06;VON;2024-12-01;100;;;;;;\n"
    "M-07;VON;2024;82;SÄBO;;;;;\n"
    "M-08;VON;2024;55,5;;K;;;;\n"
)


async def test_csv_with_bom_semicolons_and_decimal_commas(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    runs = {"service": "goals", "kind": "measure_values", "outcome": "completed"}
    before = await metric_value(client, "styr_import_runs_total", **runs)
    rows = {"service": "goals", "kind": "measure_values", "outcome": "accepted"}
    rows_before = await metric_value(client, "styr_import_rows_total", **rows)
    response = await client.post(
        URL, content=GOOD_CSV.encode(), headers=importer | CSV, params={"source": "Viva"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["counts"] == {
        "inserted": 8,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        **NOTHING_SKIPPED,
    }
    assert result["outcome"] == "completed"
    assert await metric_value(client, "styr_import_runs_total", **runs) == before + 1
    assert await metric_value(client, "styr_import_rows_total", **rows) == rows_before + 8
    stored = await _values(app)
    assert stored["m-year", "oxelosund-von", "2024", "", "T"].value == Decimal("1234.5")
    half = stored["m-half", "oxelosund-von", "2024-H1", "", "T"]
    assert (half.value, half.state) == (Decimal("89.77"), "preliminary")
    tertial = stored["m-tertial", "oxelosund-von", "2024-T2", "", "T"]
    assert (tertial.numerator, tertial.denominator, tertial.period_end) == (
        Decimal(3),
        Decimal(25),
        date(2024, 8, 31),
    )
    assert stored["m-quarter", "oxelosund-von", "2024-Q3", "", "T"].value == Decimal("-3.25")
    assert stored["m-month", "oxelosund-sabo", "2024-08", "", "T"].period_end == date(2024, 8, 31)
    assert stored["m-seg", "oxelosund-von", "2024", "SÄBO", "T"].value == Decimal(82)
    assert stored["m-gender", "oxelosund-von", "2024", "", "K"].value == Decimal("55.5")
    assert stored["m-year", "oxelosund-von", "2024", "", "T"].source == "Viva"
    assert {v.import_run_id for v in stored.values()} == {result["id"]}


async def test_reposting_changes_nothing_and_a_change_is_audited(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    first = await client.post(URL, content=GOOD_CSV.encode(), headers=importer | CSV)
    again = await client.post(URL, content=GOOD_CSV.encode(), headers=importer | CSV)
    assert again.json()["counts"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 8,
        "rejected": 0,
        **NOTHING_SKIPPED,
    }
    assert await _audits(app) == []
    changed = GOOD_CSV.replace("M-01;VON;2024;1 234,5", "M-01;VON;2024;1 300")
    third = await client.post(URL, content=changed.encode(), headers=importer | CSV)
    assert third.json()["counts"] == {
        "inserted": 0,
        "updated": 1,
        "unchanged": 7,
        "rejected": 0,
        **NOTHING_SKIPPED,
    }
    audits = await _audits(app)
    assert len(audits) == 1
    assert audits[0].changed_by == "viva-nightly"
    assert Decimal(audits[0].old["value"]) == Decimal("1234.5")  # type: ignore[index]
    assert Decimal(audits[0].new["value"]) == Decimal("1300")
    stored = await _values(app)
    assert stored["m-year", "oxelosund-von", "2024", "", "T"].import_run_id == third.json()["id"]
    assert stored["m-half", "oxelosund-von", "2024-H1", "", "T"].import_run_id == first.json()["id"]


async def test_json_ndjson_and_gzip(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    rows: list[dict[str, Any]] = [
        {"measure": "M-01", "org_unit": "VON", "period": "2023", "value": 12.5},
        {
            "measure": "M-02",
            "org_unit": "VON",
            "period": "2023-H2",
            "value": "1 234,5",
            "comment": "från Hypergene",
        },
    ]
    as_json = await client.post(URL, json=rows, headers=importer)
    assert as_json.json()["counts"]["inserted"] == 2
    ndjson = (
        "\n".join(json.dumps(r | {"period": r["period"].replace("2023", "2022")}) for r in rows)
        + "\n"
    )
    as_ndjson = await client.post(
        URL, content=ndjson.encode(), headers=importer | {"content-type": "application/x-ndjson"}
    )
    assert as_ndjson.json()["counts"]["inserted"] == 2
    gzipped = gzip.compress(GOOD_CSV.encode())
    as_gzip = await client.post(
        URL, content=gzipped, headers=importer | CSV | {"content-encoding": "gzip"}
    )
    assert as_gzip.status_code == 200, as_gzip.text
    assert as_gzip.json()["counts"]["inserted"] == 8
    stored = await _values(app)
    assert stored["m-half", "oxelosund-von", "2023-H2", "", "T"].comment == "från Hypergene"
    assert stored["m-year", "oxelosund-von", "2022", "", "T"].value == Decimal("12.5")


async def test_kolada_page_maps_kpi_and_municipality(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    page = {
        "count": 2,
        "values": [
            {
                "kpi": "U21468",
                "municipality": "0481",
                "period": 2023,
                "values": [{"gender": "T", "value": 85.3, "count": 1, "status": ""}],
            },
            {
                "kpi": "U21468",
                "municipality": "0481",
                "period": 2024,
                "values": [{"gender": "T", "value": None, "count": 0, "status": "Saknas"}],
            },
            {
                "kpi": "N00000",
                "municipality": "0481",
                "period": 2024,
                "values": [{"gender": "T", "value": 1}],
            },
        ],
    }
    response = await client.post(URL, json=page, headers=importer, params={"source": "Kolada"})
    result = response.json()
    assert result["format"] == "kolada"
    # Kolada's null (missing data, with its status) is skipped and counted, not an error.
    assert result["counts"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "skipped": 1,
        "skipped_by_reason": {"kolada_null:Saknas": 1},
    }
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(2, "measure")]
    stored = await _values(app)
    assert stored["m-year", "oxelosund", "2023", "", "T"].value == Decimal("85.3")


BAD_CSV = (
    "measure,org_unit,period,value\n"
    "M-01,VON,2021,10\n"  # 2 good
    "M-99,VON,2021,10\n"  # 3 unknown measure
    "M-01,XYZ,2021,10\n"  # 4 unknown unit
    "M-02,VON,2021,10\n"  # 5 period does not fit a half-year measure
    "M-01,KS,2020,tio\n"  # 6 not a number
    "M-05,VON,2021-03,7\n"  # 7 good
    "M-01,VON,2021,11\n"  # 8 duplicate of line 2
    "M-07,VON,2021,1\n"  # 9 segment missing
    "M-01,KS,2019\n"  # 10 too few columns
)


async def test_bad_rows_are_reported_and_exactly_the_good_rows_land(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    response = await client.post(URL, content=BAD_CSV.encode(), headers=importer | CSV)
    result = response.json()
    assert result["counts"] == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 7,
        **NOTHING_SKIPPED,
    }
    errors = {e["row"]: (e["field"], e["value"]) for e in result["errors"]}
    assert errors == {
        3: ("measure", "M-99"),
        4: ("org_unit", "XYZ"),
        5: ("period", "2021"),
        6: ("value", "tio"),
        8: (None, None),
        9: ("segment", None),
        10: (None, "M-01,KS,2019"),
    }
    messages = {e["row"]: e["message"] for e in result["errors"]}
    assert "YYYY-H1..H2" in messages[5]
    assert "row 2" in messages[8]
    stored = await _values(app)
    assert set(stored) == {
        ("m-year", "oxelosund-von", "2021", "", "T"),
        ("m-month", "oxelosund-von", "2021-03", "", "T"),
    }
    assert stored["m-year", "oxelosund-von", "2021", "", "T"].value == Decimal(
        10
    )  # the first row won
    every = await client.get(f"/api/v1/import-runs/{result['id']}/errors", headers=importer)
    assert [e["row"] for e in every.json()["items"]] == [3, 4, 5, 6, 8, 9, 10]
    run = (await client.get(f"/api/v1/import-runs/{result['id']}", headers=importer)).json()
    assert (run["inserted"], run["rejected"], run["requested_by"]) == (2, 7, "viva-nightly")


async def test_duplicates_across_batches_are_caught(
    client: AsyncClient,
    app: FastAPI,
    catalogue: None,
    importer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(import_service, "BATCH_SIZE", 3)
    lines = (
        ["measure;org_unit;period;value"]
        + [f"M-05;VON;2024-{m:02d};{m}" for m in range(1, 13)]
        + ["M-05;VON;2024-02;99"]
    )
    result = (
        await client.post(URL, content="\n".join(lines).encode(), headers=importer | CSV)
    ).json()
    assert result["counts"] == {
        "inserted": 12,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        **NOTHING_SKIPPED,
    }
    assert result["errors"][0]["row"] == 14
    assert "row 3" in result["errors"][0]["message"]
    assert (await _values(app))["m-month", "oxelosund-von", "2024-02", "", "T"].value == Decimal(2)


async def test_atomic_writes_nothing_when_a_row_is_bad(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    refused = await client.post(
        URL, content=BAD_CSV.encode(), headers=importer | CSV, params={"atomic": "true"}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 422
    assert problem["counts"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 7,
        **NOTHING_SKIPPED,
    }
    assert len(problem["errors"]) == 7
    assert await _values(app) == {}
    accepted = await client.post(
        URL, content=GOOD_CSV.encode(), headers=importer | CSV, params={"atomic": "true"}
    )
    assert accepted.json()["counts"]["inserted"] == 8
    assert len(await _values(app)) == 8


async def test_dry_run_counts_without_writing(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    await client.post(URL, content=GOOD_CSV.encode(), headers=importer | CSV)
    changed = GOOD_CSV.replace("1 234,5", "1 235") + "M-01;KS;2024;3;;;;;;\n"
    dry = (
        await client.post(
            URL, content=changed.encode(), headers=importer | CSV, params={"dry_run": "true"}
        )
    ).json()
    assert dry["dry_run"] is True
    assert dry["counts"] == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 7,
        "rejected": 0,
        **NOTHING_SKIPPED,
    }
    stored = await _values(app)
    assert len(stored) == 8
    assert stored["m-year", "oxelosund-von", "2024", "", "T"].value == Decimal("1234.5")


async def test_idempotency_key_replays_the_first_answer(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    keyed = importer | CSV | {"Idempotency-Key": "viva-2024-11-23"}
    first = await client.post(URL, content=GOOD_CSV.encode(), headers=keyed)
    retry = await client.post(URL, content=GOOD_CSV.encode(), headers=keyed)
    assert retry.status_code == first.status_code == 200
    assert retry.json() == first.json()
    assert retry.json()["counts"]["inserted"] == 8
    runs = (await client.get("/api/v1/import-runs", headers=importer)).json()["items"]
    assert len(runs) == 1


async def test_a_run_that_never_answered_does_not_hold_its_key(
    client: AsyncClient,
    app: FastAPI,
    catalogue: None,
    importer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyed = importer | CSV | {"Idempotency-Key": "viva-2024-11-24"}

    # The database fails in the middle of the merge: a 500, nothing written, and the run
    # says so instead of staying "running" (which would refuse every retry with the key).
    async def failing_merge(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("the database went away")

    monkeypatch.setattr(import_service, "merge_staged", failing_merge)
    failed = await client.post(URL, content=GOOD_CSV.encode(), headers=keyed)
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    monkeypatch.undo()
    assert await _values(app) == {}
    [run] = (await client.get("/api/v1/import-runs", headers=importer)).json()["items"]
    assert (run["status"], run["detail"]) == ("abandoned", "interrupted: ConnectionResetError")
    retried = await client.post(URL, content=GOOD_CSV.encode(), headers=keyed)
    assert retried.json()["counts"]["inserted"] == 8

    # A run left "running" by a stopped service is given up after an hour.
    stuck_key = importer | CSV | {"Idempotency-Key": "viva-2024-11-25"}
    async with app.state.database.session() as session:
        session.add(
            ImportRun(
                requested_by="viva-nightly",
                idempotency_key="viva-2024-11-25",
                format="csv",
                started_at=utcnow() - timedelta(hours=2),
            )
        )
        await session.commit()
    resumed = await client.post(URL, content=GOOD_CSV.encode(), headers=stuck_key)
    assert resumed.status_code == 200
    assert resumed.json()["counts"]["unchanged"] == 8
    runs = (await client.get("/api/v1/import-runs", headers=importer)).json()["items"]
    assert [r["status"] for r in runs] == ["abandoned", "completed", "abandoned", "completed"]


async def test_scope_roles_and_closed_periods(
    client: AsyncClient, app: FastAPI, catalogue: None, tokens: TokenFactory
) -> None:
    reader = await client.post(
        URL, content=GOOD_CSV.encode(), headers=tokens.headers("reader") | CSV
    )
    assert reader.status_code == 403
    sabo_only = tokens.headers("importer", org_units=["oxelosund-sabo"])
    scoped = (await client.post(URL, content=GOOD_CSV.encode(), headers=sabo_only | CSV)).json()
    assert scoped["counts"]["inserted"] == 1  # only the row for SÄBO
    assert all(e["field"] == "org_unit" for e in scoped["errors"])

    async with app.state.database.session() as session:
        session.add(
            ValuePeriodLock(
                org_unit_id="oxelosund-von",
                closed_through=date(2024, 12, 31),
                closed_by="controller",
            )
        )
        await session.commit()
    late = "measure;org_unit;period;value\nM-01;VON;2024;7\n"
    importer = tokens.headers("importer", org_units=["oxelosund"])
    refused = (await client.post(URL, content=late.encode(), headers=importer | CSV)).json()
    assert refused["counts"]["rejected"] == 1
    assert refused["errors"][0]["field"] == "period"
    assert "closed" in refused["errors"][0]["message"]
    controller = tokens.headers("controller", org_units=["oxelosund-von"], subject="ekonom")
    corrected = (await client.post(URL, content=late.encode(), headers=controller | CSV)).json()
    assert corrected["counts"]["inserted"] == 1
    audits = await _audits(app)
    assert [(a.closed_period, a.changed_by) for a in audits] == [(True, "ekonom")]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"measure;value\nM-01;1\n", CSV, 422),
        (b"", CSV, 422),
        (b"<xml/>", {"content-type": "application/xml"}, 415),
        (b"not gzip at all", CSV | {"content-encoding": "gzip"}, 422),
        (gzip.compress(GOOD_CSV.encode())[:40], CSV | {"content-encoding": "gzip"}, 422),
        (GOOD_CSV.encode(), CSV | {"content-encoding": "br"}, 415),
        (b'{"measure": "M-01"}', {"content-type": "application/x-ndjson"}, 200),
    ],
)
async def test_unreadable_files_are_4xx_problems(
    client: AsyncClient,
    catalogue: None,
    importer: dict[str, str],
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await client.post(URL, content=body, headers=importer | headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


async def test_many_rows_in_many_batches(
    client: AsyncClient,
    app: FastAPI,
    catalogue: None,
    importer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(import_service, "BATCH_SIZE", 500)
    lines = ["measure,org_unit,period,value"]
    lines += [
        f"M-06,{unit},{year}-12-01,{year % 97}.{unit_index}"
        for year in range(1990, 2101)
        for unit_index, unit in enumerate(["VON", "KS", "OXD", "SÄBO"])
    ]
    result = (
        await client.post(URL, content="\n".join(lines).encode(), headers=importer | CSV)
    ).json()
    assert result["counts"] == {
        "inserted": 444,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        **NOTHING_SKIPPED,
    }
    async with app.state.database.session() as session:
        assert (await session.exec(select(func.count()).select_from(MeasureValue))).one() == 444


async def test_free_text_arrives_exactly_and_nul_is_a_row_error(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    # PostgreSQL stages through COPY's text format: tabs, line breaks and backslashes in a
    # comment must come through as they were sent; a NUL (which no text column holds) is
    # the row's error, and is kept on the run in a form the database can store.
    comment = 'Tab\there,\nnew line, back\\slash \\N and "quotes"'
    rows = [
        {"measure": "M-01", "org_unit": "VON", "period": "2024", "value": 1, "comment": comment},
        {"measure": "M-01", "org_unit": "KS", "period": "2024", "value": 2, "comment": "a\x00b"},
        {"measure": "M-\x00", "org_unit": "VON", "period": "2023", "value": 3},
    ]
    result = (await client.post(URL, json=rows, headers=importer)).json()
    assert result["counts"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
        **NOTHING_SKIPPED,
    }
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(1, "comment"), (2, "measure")]
    assert result["errors"][1]["value"] == "M-\ufffd"
    assert (await _values(app))["m-year", "oxelosund-von", "2024", "", "T"].comment == comment
    again = (await client.post(URL, json=rows[:1], headers=importer)).json()
    assert again["counts"]["unchanged"] == 1


async def test_a_kolada_entry_naming_one_gender_twice_keeps_the_first(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    # Both values share the entry's row number; the duplicate check tells them apart.
    page = {
        "values": [
            {
                "kpi": "U21468",
                "municipality": "0481",
                "period": 2023,
                "values": [{"gender": "T", "value": 1}, {"gender": "T", "value": 2}],
            }
        ]
    }
    result = (await client.post(URL, json=page, headers=importer)).json()
    assert result["counts"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        **NOTHING_SKIPPED,
    }
    assert result["errors"][0]["row"] == 0
    assert "as row 0" in result["errors"][0]["message"]
    assert (await _values(app))["m-year", "oxelosund", "2023", "", "T"].value == Decimal(1)


async def test_a_measure_removed_during_the_import_writes_nothing(
    client: AsyncClient,
    app: FastAPI,
    catalogue: None,
    importer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The checks ran against a catalogue in which "ghost" still existed; by the merge the
    # database no longer has it. The merge is one transaction: not even the good rows land.
    load = Catalogue.load

    async def load_with_a_ghost(session: Any, actor: Any, scope: Any = None) -> Catalogue:
        catalogue = await load(session, actor, scope)
        catalogue.measures["ghost"] = replace(catalogue.measures["m-year"], id="ghost")
        catalogue.measure_codes["GHOST"] = ["ghost"]
        return catalogue

    monkeypatch.setattr(Catalogue, "load", load_with_a_ghost)
    body = "measure;org_unit;period;value\nM-01;VON;2024;1\nGHOST;VON;2024;2\n"
    headers = importer | CSV | {"Idempotency-Key": "night-2024-11-30"}
    response = await client.post(URL, content=body.encode(), headers=headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["outcome"] == "conflict"
    assert "nothing was written" in problem["detail"]
    assert await _values(app) == {}
    run = (await client.get(f"/api/v1/import-runs/{problem['id']}", headers=importer)).json()
    assert run["status"] == "conflict"
    # A conflict is worth retrying: the same key imports the file instead of replaying.
    monkeypatch.undo()
    retried = (await client.post(URL, content=body.encode(), headers=headers)).json()
    assert retried["counts"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        **NOTHING_SKIPPED,
    }
    assert retried["id"] != problem["id"]


@pytest.mark.sqlite_only
async def test_a_write_elsewhere_during_the_merge_waits_for_it_on_sqlite(
    client: AsyncClient,
    app: FastAPI,
    catalogue: None,
    importer: dict[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SQLite can fail a transaction that read first and writes later when another
    # connection wrote in between. The merge takes the write lock when it starts, so no
    # write slips in between its reads and its writes: a writer that comes along meanwhile
    # waits (here: gives up at once), and the import goes through.
    merge = writer.merge_staged
    elsewhere: list[str] = []

    async def merge_with_a_writer_elsewhere(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(make_url(database_url).database or "", timeout=0.1)
        try:
            other.execute("UPDATE org_unit SET name = name WHERE id = 'oxelosund'")
            other.commit()
            elsewhere.append("written")
        except sqlite3.OperationalError as exc:
            elsewhere.append(str(exc))
        finally:
            other.close()
        return await merge(*args, **kwargs)

    await client.post(URL, content=GOOD_CSV.encode(), headers=importer | CSV)
    monkeypatch.setattr(import_service, "merge_staged", merge_with_a_writer_elsewhere)
    changed = GOOD_CSV.replace("1 234,5", "1 235,5")
    response = await client.post(URL, content=changed.encode(), headers=importer | CSV)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["updated"] == 1
    assert elsewhere == ["database is locked"]


@pytest.fixture
async def live_goals(database_url: str, catalogue: None) -> AsyncIterator[str]:
    with UvicornThread(create_app(GoalsSettings(database_url=database_url))) as base_url:
        yield base_url


async def test_cli_imports_a_file_and_reports(
    live_goals: str, tokens: TokenFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tokens.token("importer", org_units=["oxelosund"])
    good = tmp_path / "viva.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    assert (
        styr_cli(["import", str(good), "--url", live_goals, "--token", token, "--source", "Viva"])
        == 0
    )
    assert "8 rows: 8 inserted, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out

    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(gzip.compress(BAD_CSV.encode()))
    assert styr_cli(["import", str(bad), "--url", live_goals, "--token", token, "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "row 3, measure: unknown measure (got 'M-99')" in out
    assert "(dry run: nothing written)" in out

    unreadable = tmp_path / "wrong.csv"
    unreadable.write_text("kpi;value\nU1;1\n", encoding="utf-8")
    assert styr_cli(["import", str(unreadable), "--url", live_goals, "--token", token]) == 2
    assert "not imported: HTTP 422: the header lacks" in capsys.readouterr().out

    assert styr_cli(["import", str(good), "--url", live_goals, "--token", "not-a-token"]) == 2
    assert "HTTP 401" in capsys.readouterr().out


async def test_an_idempotency_key_reused_for_another_file_is_422(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    keyed = importer | CSV | {"Idempotency-Key": "viva-2024-12-01"}
    first = await client.post(URL, content=GOOD_CSV.encode(), headers=keyed)
    assert first.status_code == 200
    changed = GOOD_CSV.replace("M-01;VON;2024;1 234,5", "M-01;VON;2024;1 300")
    for body, params in ((changed, {}), (GOOD_CSV, {"dry_run": "true"})):
        reused = await client.post(URL, content=body.encode(), headers=keyed, params=params)
        assert reused.status_code == 422, reused.text
        assert reused.headers["content-type"] == "application/problem+json"
        [error] = reused.json()["errors"]
        assert error["field"] == "header.idempotency-key"
        assert "viva-2024-12-01" in error["message"]
    # Nothing of the second file was written, and the same file still replays.
    stored = await _values(app)
    assert stored["m-year", "oxelosund-von", "2024", "", "T"].value == Decimal("1234.5")
    replay = await client.post(
        URL, content=gzip.compress(GOOD_CSV.encode()), headers=keyed | {"content-encoding": "gzip"}
    )
    assert replay.json() == first.json()


@pytest.mark.parametrize("gzipped", [False, True])
async def test_deeply_nested_json_is_a_4xx(
    client: AsyncClient, catalogue: None, importer: dict[str, str], gzipped: bool
) -> None:
    # ijson keeps a path per level: 100 001 levels took the service to 22 GB.
    body = b"[" * 100_001
    headers = importer | {"content-type": "application/json"}
    if gzipped:
        body, headers = gzip.compress(body), headers | {"content-encoding": "gzip"}
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "deeper than 32" in response.json()["detail"]


async def test_a_gzip_bomb_is_refused_early_with_413(
    client: AsyncClient, catalogue: None, importer: dict[str, str]
) -> None:
    header = b"measure;org_unit;period;value\n"
    bomb = gzip.compress(header + b"M-01;VON;2024;1\n" * 10_000_000, compresslevel=9)
    assert len(bomb) < 500_000  # 160 MB in a few hundred KiB
    response = await client.post(
        URL, content=bomb, headers=importer | CSV | {"content-encoding": "gzip"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/compression-ratio-too-high")
    # An honest compressed file of the same rows passes.
    honest = gzip.compress(GOOD_CSV.encode())
    response = await client.post(
        URL, content=honest, headers=importer | CSV | {"content-encoding": "gzip"}
    )
    assert response.status_code == 200


async def test_the_import_spools_to_the_configured_temp_dir(tmp_path: Path) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (1 << 20)

    limits = import_service.SpoolLimits(max_bytes=64 << 20, max_ratio=10, temp_dir=tmp_path)
    body = await import_service.spool_body(chunks(), gzipped=False, limits=limits)
    with body.file:
        # Past the in-memory part the spool is a file in the configured directory.
        assert Path(os.readlink(f"/proc/self/fd/{body.file.fileno()}")).parent == tmp_path
    assert body.received == 20 << 20


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        # A 200 KB header cell (csv.Error before: a 500), and a header without any line end.
        (b"measure;org_unit;period;value;" + b"x" * 200_000 + b"\n", "text/csv", "header row"),
        (b"measure;" * 100_000, "text/csv", "header row"),
    ],
)
async def test_overlong_headers_are_422(
    client: AsyncClient,
    catalogue: None,
    importer: dict[str, str],
    body: bytes,
    content_type: str,
    message: str,
) -> None:
    response = await client.post(
        URL, content=body, headers=importer | {"content-type": content_type}
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/csv", "application/x-ndjson"])
async def test_overlong_and_deep_lines_are_row_errors(
    client: AsyncClient, catalogue: None, importer: dict[str, str], content_type: str
) -> None:
    if content_type == "text/csv":
        lines = [
            "measure;org_unit;period;value",
            "M-01;VON;2024;1",
            "M-02;VON;" + "9" * 300_000 + ";1",
            "M-01;VON;2023;2",
        ]
    else:
        good = {"measure": "M-01", "org_unit": "VON", "period": "2024", "value": 1}
        lines = [
            json.dumps(good),
            json.dumps(good | {"comment": "x" * 300_000}),
            "[" * 50_000,
            json.dumps(good | {"period": "2023"}),
        ]
    response = await client.post(
        URL, content="\n".join(lines).encode(), headers=importer | {"content-type": content_type}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["counts"]["inserted"] == 2
    assert "longer than" in result["errors"][0]["message"]
    if content_type != "text/csv":
        assert "deeper than" in result["errors"][1]["message"]


async def test_a_format_the_body_is_not_is_422_naming_the_parameter(
    client: AsyncClient, catalogue: None, importer: dict[str, str]
) -> None:
    # a CSV body is importable; format=kolada contradicts it (not an unsupported media type)
    response = await client.post(
        URL, params={"format": "kolada"}, content=GOOD_CSV.encode(), headers=importer | CSV
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.format"


async def test_gender_rows_of_a_measure_without_a_split_are_skipped_in_every_format(
    client: AsyncClient, app: FastAPI, catalogue: None, importer: dict[str, str]
) -> None:
    """As on a Kolada page: K and M rows of a measure without a gender split (M-01) are left
    out and counted in CSV and JSON too, and rejected as errors of the file with `strict`;
    a measure with a split (M-08) takes them."""
    csv_body = (
        "measure;org_unit;period;value;gender\n"
        "M-01;VON;2021;10;T\nM-01;VON;2021;11;K\nM-01;VON;2021;9;m\nM-08;VON;2021;7;K\n"
    )
    json_body = [
        {"measure": "M-01", "org_unit": "VON", "period": "2020", "value": v, "gender": g}
        for g, v in (("T", 10), ("K", 11), ("M", 9))
    ]
    skipped = {"skipped": 2, "skipped_by_reason": {"gender_without_split:K": 1,
                                                    "gender_without_split:M": 1}}  # fmt: skip
    as_csv = (await client.post(URL, content=csv_body.encode(), headers=importer | CSV)).json()
    assert as_csv["counts"] == {"inserted": 2, "updated": 0, "unchanged": 0, "rejected": 0,
                                **skipped}  # fmt: skip
    as_json = (await client.post(URL, json=json_body, headers=importer)).json()
    assert as_json["counts"] == {"inserted": 1, "updated": 0, "unchanged": 0, "rejected": 0,
                                 **skipped}  # fmt: skip
    stored = await _values(app)
    assert {key[4] for key in stored if key[0] == "m-year"} == {"T"}
    assert stored["m-gender", "oxelosund-von", "2021", "", "K"].value == Decimal(7)
    strict = {"strict": "true"}
    for response, written in (
        (
            await client.post(
                URL, content=csv_body.encode(), headers=importer | CSV, params=strict
            ),
            "m",
        ),
        (await client.post(URL, json=json_body, headers=importer, params=strict), "M"),
    ):
        result = response.json()
        assert (result["counts"]["rejected"], result["counts"]["skipped"]) == (2, 0)
        errors = {(e["field"], e["value"]) for e in result["errors"]}
        assert errors == {("gender", "K"), ("gender", written)}
