"""Measures with segments, targets and definition versions; values, closed periods, audit,
computed status and trend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from styr_goals.measures.periods import PeriodError, parse_period
from styr_goals.measures.status import compute_status, compute_trend, round_half_up
from styr_shared.testing import TokenFactory

MEASURE: dict[str, Any] = {
    "id": "svarsfrekvens",
    "code": "M-05",
    "org_unit_id": "oxelosund-von",
    "name": "Svarsfrekvens i brukarundersökningen",
    "unit_kind": "percent",
    "direction": "increase",
    "data_source": "Socialstyrelsens brukarundersökning",
    "kolada_kpi_id": "U21468",
    "periodicity": "quarter",
    "segments": ["SÄBO", "Hemtjänst"],
    "gender_split": True,
    "series": [
        {
            "segment": "SÄBO",
            "code": "M-05a",
            "baseline": {"value": 49, "period": "2024", "text": "49% 2024"},
            "targets": {"2025": {"op": ">=", "value": 50}, "2027": {"op": ">=", "value": 60}},
        },
        {"segment": "Hemtjänst", "baseline": {"is_new": True}},
    ],
}
VALUES = "/api/v1/measures/svarsfrekvens/values"


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=["oxelosund-von"], subject="von-planner")


@pytest.fixture
async def measure(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/api/v1/measures", json=MEASURE, headers=planner)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _value(period: str, value: float, **extra: Any) -> dict[str, Any]:
    return {
        "org_unit_id": "oxelosund-sabo",
        "period": period,
        "segment": "SÄBO",
        "value": value,
        **extra,
    }


async def test_a_measure_keeps_every_attribute(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    assert measure["series"][0] == {
        "segment": "SÄBO",
        "code": "M-05a",
        "baseline": {"value": 49, "period": "2024", "is_new": False, "text": "49% 2024"},
        "gender_baselines": {},
        "targets": {
            "2025": {
                "op": ">=",
                "value": 50,
                "qualifier": None,
                "benchmark": None,
                "direction": None,
            },
            "2027": {
                "op": ">=",
                "value": 60,
                "qualifier": None,
                "benchmark": None,
                "direction": None,
            },
        },
    }
    assert measure["series"][1]["baseline"]["is_new"] is True
    assert measure["series"][1]["targets"] == {}
    assert measure["definitions"][0]["version"] == 1
    assert measure["definitions"][0]["valid_from_year"] == 2025
    target = await client.put(
        "/api/v1/measures/svarsfrekvens/targets/2026",
        params={"segment": "Hemtjänst"},
        json={
            "op": ">=",
            "value": 65,
            "benchmark": "minst i nivå med genomsnittet för alla kommuner",
        },
        headers=planner,
    )
    assert target.json()["series"][1]["targets"]["2026"]["benchmark"].startswith("minst i nivå")
    cleared = await client.delete(
        "/api/v1/measures/svarsfrekvens/targets/2027", params={"segment": "SÄBO"}, headers=planner
    )
    assert sorted(cleared.json()["series"][0]["targets"]) == ["2025"]
    patched = await client.patch(
        "/api/v1/measures/svarsfrekvens",
        json={"decimals": 1, "display_name": "Svarsfrekvens"},
        headers=planner,
    )
    assert (patched.json()["decimals"], patched.json()["display_name"]) == (1, "Svarsfrekvens")


BAD_MEASURES: list[tuple[dict[str, Any], str]] = [
    ({"unit_kind": "litres"}, "body.unit_kind"),
    ({"direction": "up"}, "body.direction"),
    ({"kolada_kpi_id": "u21468"}, "body.kolada_kpi_id"),
    ({"periodicity": "weekly"}, "body.periodicity"),
    ({"decimals": 7}, "body.decimals"),
    ({"series": [{"segment": "LSS"}]}, "body"),
    ({"point_in_time": "12-01"}, "body"),
    (
        {"series": [{"segment": "SÄBO", "targets": {"2025": {"op": "≥", "value": 1}}}]},
        "body.series.0.targets.2025.op",
    ),
    (
        {"series": [{"segment": "SÄBO", "targets": {"2025": {"op": ">="}}}]},
        "body.series.0.targets.2025",
    ),
    (
        {"series": [{"segment": "SÄBO", "baseline": {"is_new": True, "value": 3}}]},
        "body.series.0.baseline",
    ),
    ({"goal_ids": ["nope"]}, "body.goal_ids.0"),
    ({"org_unit_id": "nope"}, "body.org_unit_id"),
]


async def test_bad_measures_are_refused(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    for change, field in BAD_MEASURES:
        response = await client.post(
            "/api/v1/measures", json={**MEASURE, **change}, headers=planner
        )
        assert response.status_code == 422, (change, response.text)
        assert response.json()["errors"][0]["field"] == field, change


async def test_measure_writes_need_scope(
    client: AsyncClient, measure: dict[str, Any], tokens: TokenFactory
) -> None:
    ks = tokens.headers("planner", org_units=["oxelosund-ks"])
    assert (
        await client.post("/api/v1/measures", json={**MEASURE, "id": "x", "code": "X"}, headers=ks)
    ).status_code == 403
    assert (
        await client.patch("/api/v1/measures/svarsfrekvens", json={"decimals": 2}, headers=ks)
    ).status_code == 403
    importer = tokens.headers("importer", org_units=["oxelosund"])
    assert (
        await client.post("/api/v1/measures", json=MEASURE, headers=importer)
    ).status_code == 403
    duplicate = await client.post(
        "/api/v1/measures", json={**MEASURE, "id": "other"}, headers=tokens.headers("admin")
    )
    assert duplicate.status_code == 409


async def test_values_are_upserted_on_their_natural_key_with_audit(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    created = await client.put(VALUES, json=_value("2025-q1", 48.5), headers=planner)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["period"], body["year"], body["period_end"]) == ("2025-Q1", 2025, "2025-03-31")
    assert (body["status"], body["target"]["value"], body["trend"]) == ("not_met", 50, None)
    replaced = await client.put(
        VALUES,
        json=_value("2025-Q1", 51, numerator=51, denominator=100, state="preliminary"),
        headers=planner,
    )
    assert replaced.status_code == 200
    assert (replaced.json()["id"], replaced.json()["status"]) == (body["id"], "met")
    await client.put(VALUES, json=_value("2025-Q2", 47), headers=planner)
    listed = await client.get(VALUES, params={"year": 2025}, headers=planner)
    assert [(v["period"], v["value"], v["trend"]) for v in listed.json()] == [
        ("2025-Q1", 51, None),
        ("2025-Q2", 47, "worsening"),
    ]
    audit = (await client.get("/api/v1/measures/svarsfrekvens/audit", headers=planner)).json()
    assert (len(audit["items"]), audit["next_cursor"]) == (1, None)
    [entry] = audit["items"]
    assert (entry["old"]["value"], entry["new"]["value"]) == ("48.5", "51")
    assert (entry["changed_by"], entry["closed_period"]) == ("von-planner", False)


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"period": "2025"}, "body.period"),
    ({"period": "2025-Q5"}, "body.period"),
    ({"period": "2025-08"}, "body.period"),
    ({"segment": "LSS"}, "body.segment"),
    ({"segment": None}, "body.segment"),
    ({"gender": "X"}, "body.gender"),
    ({"org_unit_id": "nope"}, "body.org_unit_id"),
    ({"value": "many"}, "body.value"),
    ({"numerator": 3}, "body"),
    ({"numerator": 3, "denominator": 0}, "body"),
    ({"value": 1.00001}, "body.value"),
    ({"when": "now"}, "body.when"),
]


async def test_bad_values_are_refused(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    for change, field in BAD_VALUES:
        response = await client.put(
            VALUES, json={**_value("2025-Q1", 50), **change}, headers=planner
        )
        assert response.status_code == 422, (change, response.text)
        assert response.json()["errors"][0]["field"] == field, change


async def test_gender_split_accepts_kolada_codes(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    women = await client.put(VALUES, json=_value("2025-Q1", 52, gender="F"), headers=planner)
    men = await client.put(VALUES, json=_value("2025-Q1", 45, gender="M"), headers=planner)
    assert (women.json()["gender"], men.json()["gender"]) == ("K", "M")
    assert women.json()["id"] != men.json()["id"]


async def test_closed_periods_need_a_controller_and_are_audited(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str], tokens: TokenFactory
) -> None:
    controller = tokens.headers("controller", org_units=["oxelosund-von"], subject="controller")
    assert (
        await client.put(VALUES, json=_value("2025-Q1", 40), headers=planner)
    ).status_code == 201
    lock = {"closed_through": "2025-06-30"}
    assert (
        await client.put("/api/v1/value-locks/oxelosund-vof", json=lock, headers=planner)
    ).status_code == 403
    locked = await client.put("/api/v1/value-locks/oxelosund-vof", json=lock, headers=controller)
    assert locked.status_code == 200, locked.text
    refused = await client.put(VALUES, json=_value("2025-Q1", 41), headers=planner)
    assert refused.status_code == 403
    assert (
        await client.put(VALUES, json=_value("2025-Q3", 41), headers=planner)
    ).status_code == 201
    corrected = await client.put(VALUES, json=_value("2025-Q1", 42), headers=controller)
    assert corrected.status_code == 200
    late = await client.put(VALUES, json=_value("2025-Q2", 44), headers=controller)
    assert late.status_code == 201
    audit_url = "/api/v1/measures/svarsfrekvens/audit"
    first = (await client.get(audit_url, params={"limit": 1}, headers=planner)).json()
    rest = (
        await client.get(audit_url, params={"cursor": first["next_cursor"]}, headers=planner)
    ).json()
    assert rest["next_cursor"] is None
    assert [
        (a["closed_period"], a["changed_by"], a["old"] and a["old"]["value"], a["new"]["value"])
        for a in first["items"] + rest["items"]
    ] == [
        (True, "controller", "40", "42"),
        (True, "controller", None, "44"),
    ]
    one_value = first["items"][0]["value_id"]
    history = (await client.get(audit_url, params={"value_id": one_value}, headers=planner)).json()
    assert [a["new"]["value"] for a in history["items"]] == ["42"]
    # A unit outside the lock is open.
    other = {**_value("2025-Q1", 3), "org_unit_id": "oxelosund-ks"}
    admin = tokens.headers("admin")
    assert (await client.put(VALUES, json=other, headers=admin)).status_code == 201
    locks = (await client.get("/api/v1/value-locks", headers=planner)).json()
    assert [(lk["org_unit_id"], lk["closed_through"]) for lk in locks] == [
        ("oxelosund-vof", "2025-06-30")
    ]


async def test_a_definition_change_breaks_the_series(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    await client.put(VALUES, json=_value("2025-Q4", 50), headers=planner)
    changed = await client.post(
        "/api/v1/measures/svarsfrekvens/definitions",
        json={
            "valid_from_year": 2026,
            "name": "Svarsfrekvens, ny enkät",
            "change_note": "Ny enkät",
        },
        headers=planner,
    )
    assert changed.status_code == 201, changed.text
    assert [d["version"] for d in changed.json()["definitions"]] == [1, 2]
    after = await client.put(VALUES, json=_value("2026-Q1", 60), headers=planner)
    assert (
        after.json()["definition_version"],
        after.json()["trend"],
        after.json()["series_break"],
    ) == (2, None, True)
    too_early = await client.post(
        "/api/v1/measures/svarsfrekvens/definitions",
        json={"valid_from_year": 2026, "name": "x", "change_note": "x"},
        headers=planner,
    )
    assert too_early.status_code == 422


async def test_measures_are_filtered_and_paginated(
    client: AsyncClient, measure: dict[str, Any], planner: dict[str, str]
) -> None:
    second = {
        **MEASURE,
        "id": "ekbistand",
        "code": "M-13",
        "kolada_kpi_id": None,
        "segments": [],
        "series": [],
        "periodicity": "point_in_time",
        "point_in_time": "12-01",
        "direction": "decrease",
        "unit_kind": "count",
    }
    assert (await client.post("/api/v1/measures", json=second, headers=planner)).status_code == 201
    page = await client.get("/api/v1/measures", params={"limit": 1}, headers=planner)
    rest = await client.get(
        "/api/v1/measures",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=planner,
    )
    assert [m["id"] for m in page.json()["items"] + rest.json()["items"]] == [
        "ekbistand",
        "svarsfrekvens",
    ]
    assert rest.json()["next_cursor"] is None
    by_kpi = await client.get(
        "/api/v1/measures", params={"kolada_kpi_id": "U21468"}, headers=planner
    )
    assert [m["id"] for m in by_kpi.json()["items"]] == ["svarsfrekvens"]
    by_kind = await client.get(
        "/api/v1/measures", params={"periodicity": "point_in_time"}, headers=planner
    )
    assert [m["id"] for m in by_kind.json()["items"]] == ["ekbistand"]
    bad = await client.get("/api/v1/measures", params={"periodicity": "weekly"}, headers=planner)
    assert bad.status_code == 422
    values = "/api/v1/measures/ekbistand/values"
    dec = {"org_unit_id": "oxelosund-von", "period": "2024-12-01", "value": 200}
    assert (await client.put(values, json=dec, headers=planner)).status_code == 201
    wrong_day = await client.put(values, json={**dec, "period": "2025-11-30"}, headers=planner)
    assert wrong_day.json()["errors"][0]["field"] == "body.period"
    fewer = await client.put(
        values, json={**dec, "period": "2025-12-01", "value": 180}, headers=planner
    )
    assert (fewer.json()["trend"], fewer.json()["status"]) == ("improving", "no_target")
    assert (await client.get("/api/v1/measures/nope", headers=planner)).status_code == 404


def test_rounding_rule() -> None:
    assert round_half_up(Decimal("89.77"), 2) == Decimal("89.77")
    assert round_half_up(Decimal("89.5"), 0) == Decimal(90)
    assert round_half_up(Decimal("89.45"), 1) == Decimal("89.5")
    assert compute_status(Decimal("89.77"), ">=", Decimal(90), 2).value == "not_met"
    assert compute_status(Decimal("89.5"), ">=", Decimal(90), 0).value == "met"
    assert compute_status(Decimal(200), "<", Decimal(200), 0).value == "not_met"
    assert compute_status(Decimal(200), "<=", Decimal(200), 0).value == "met"
    assert compute_status(Decimal(25), ">", Decimal(25), 0).value == "not_met"
    assert compute_status(Decimal(1), "=", Decimal(1), 0).value == "met"
    assert compute_status(None, "=", Decimal(1), 0).value == "no_value"
    assert compute_status(Decimal(1), None, None, 0).value == "no_target"
    assert compute_trend(Decimal(180), Decimal(200), "decrease", 0) == "improving"
    assert compute_trend(Decimal("50.4"), Decimal(50), "increase", 0) == "unchanged"
    assert compute_trend(Decimal(1), Decimal(0), "milestone", 0) == "improving"


@pytest.mark.parametrize(
    ("raw", "periodicity", "text", "end"),
    [
        ("2024", "year", "2024", "2024-12-31"),
        ("2024-h1", "half_year", "2024-H1", "2024-06-30"),
        ("2024-T2", "tertial", "2024-T2", "2024-08-31"),
        ("2024-Q3", "quarter", "2024-Q3", "2024-09-30"),
        ("2024-02", "month", "2024-02", "2024-02-29"),
        ("2024-12-01", "point_in_time", "2024-12-01", "2024-12-01"),
    ],
)
def test_periods(raw: str, periodicity: str, text: str, end: str) -> None:
    period = parse_period(raw, periodicity)
    assert (period.text, period.end.isoformat(), period.year) == (text, end, 2024)


@pytest.mark.parametrize(
    ("raw", "periodicity"),
    [
        ("2024-H3", "half_year"),
        ("2024-T4", "tertial"),
        ("2024-13", "month"),
        ("2024-02-30", "point_in_time"),
        ("24", "year"),
        ("2024-Q1", "year"),
    ],
)
def test_bad_periods(raw: str, periodicity: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(raw, periodicity)
