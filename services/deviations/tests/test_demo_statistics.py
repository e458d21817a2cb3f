"""The demo data reproduces the published figures, and statistics suppress small counts."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from styr_deviations.categories.models import MunicipalCategory
from styr_deviations.categories.service import Catalog
from styr_deviations.config import CaseKind
from styr_deviations.demo import trosa
from styr_deviations.demo.loader import build, fixture, load_demo
from styr_deviations.testing import create
from styr_shared.testing import TokenFactory


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[Any, Any]:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["count"] for r in rows}


def test_demo_generation_is_deterministic() -> None:
    first, _ = build()
    second, _ = build()
    assert [r["reference_number"] for r in first] == [r["reference_number"] for r in second]
    assert [r["category"] for r in first] == [r["category"] for r in second]
    categories_2023 = Counter(
        r["category"] for r in first if r["kind"] == "deviation" and r["series"] == "VON.2023.*"
    )
    assert sorted(categories_2023.values()) == sorted(
        fixture()["deviations_by_category_2023"]["values_in_source_order"]
    )


async def test_statistics_reproduce_the_fixture_from_the_demo_data(
    app: FastAPI, client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    started = time.perf_counter()
    assert await load_demo(app.state.database) is True
    assert time.perf_counter() - started < 15
    assert await load_demo(app.state.database) is False  # only into an empty database
    doc = fixture()
    reader = tokens.headers("reader", org_units=["oxelosund"])

    hsl = (
        await client.get(
            "/api/v1/statistics", params={"kind": "deviation", "law_area": "HSL"}, headers=reader
        )
    ).json()
    expected = {row["year"]: row["total"] for row in doc["deviations_per_year"]}
    assert expected == {2022: 891, 2023: 1735, 2024: 2729}
    assert _by(hsl["by_year"], "year") == expected
    housing = _by(hsl["by_housing_type"], "year", "housing_type")
    for row in doc["deviations_per_housing_type"]["rows"]:
        if row["year"] in (2022, 2023):
            assert housing[(row["year"], "sarskilt_boende")] == row["sarskilt_boende"]
            assert housing[(row["year"], "ordinart_boende")] == row["ordinart_boende"]
    assert _by(hsl["lex_maria_reported"], "year") == {2022: 0, 2023: "<5", 2024: 0}
    months_2023 = [r for r in hsl["by_category_month"] if r["month"].startswith("2023")]
    assert sum(r["count"] for r in months_2023 if isinstance(r["count"], int)) <= 1735

    staff = tokens.headers("case_handler", org_units=["oxelosund"])
    full = (
        await client.get("/api/v1/statistics", params={"kind": "deviation"}, headers=staff)
    ).json()
    assert full["suppressed"] is False
    assert _by(full["lex_maria_reported"], "year") == {2022: 0, 2023: 2, 2024: 0}

    feedback = (
        await client.get("/api/v1/statistics", params={"from_year": 2024}, headers=staff)
    ).json()
    kinds = _by(feedback["by_kind"], "year", "kind")
    assert (
        kinds[(2024, "feedback")] + kinds[(2024, "complaint")] == doc["feedback_2024"]["received"]
    )
    # Entries 2, 10 and 13 were never answered and named a sender: overdue.
    assert _by(feedback["overdue_by_kind"], "kind") == {"feedback": 3}
    answers = feedback["time_to_answer"]
    assert answers["feedback"]["count"] + answers["complaint"]["count"] == 10
    days = sorted(
        e["days_to_answer"]
        for e in doc["feedback_log_2024"]["entries"]
        if e["days_to_answer"] is not None and e["kind"] == "synpunkt"
    )
    assert answers["feedback"]["max_days"] == max(days) == 100
    assert answers["feedback"]["median_days"] == days[len(days) // 2]
    late = sum(
        1 for e in doc["feedback_log_2024"]["entries"] if e["answered_within_3_weeks"] is False
    )
    assert answers["feedback"]["count"] - answers["feedback"]["within_deadline"] == late == 2

    suppressed = (
        await client.get("/api/v1/statistics", params={"from_year": 2024}, headers=reader)
    ).json()
    assert suppressed["time_to_answer"]["complaint"] == {
        "count": "<5",
        "mean_days": None,
        "median_days": None,
        "max_days": None,
        "within_deadline": "<5",
    }


async def test_small_counts_are_suppressed_for_readers_only(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    for _ in range(3):
        await create(client, handler)
    for _ in range(5):
        await create(client, handler, category="lakemedel")
    reader = tokens.headers("reader", org_units=["oxelosund"])
    outside = tokens.headers("reader", org_units=["oxelosund-ifo"])
    public = (await client.get("/api/v1/statistics", headers=reader)).json()
    internal = (await client.get("/api/v1/statistics", headers=handler)).json()
    months = {r["category"]: r["count"] for r in public["by_category_month"]}
    # 5 alone would give the hidden 3 away (total 8 − 5): it is hidden too
    assert months == {"fall": "<5", "lakemedel": "x"}
    assert {r["category"]: r["count"] for r in internal["by_category_month"]} == {
        "fall": 3,
        "lakemedel": 5,
    }
    assert public["total"] == 8
    assert _by(public["by_org_unit"], "org_unit_id") == {"oxelosund-sabo": 8}
    assert _by(public["by_org_subtree"], "org_unit_id") == {
        "oxelosund": 8,
        "oxelosund-von": 8,
        "oxelosund-vof": 8,
        "oxelosund-ao": 8,
        "oxelosund-sabo": 8,
    }
    assert (await client.get("/api/v1/statistics", headers=outside)).json()["total"] == 0
    subtree = await client.get(
        "/api/v1/statistics", params={"org_unit_id": "oxelosund-ao"}, headers=reader
    )
    assert subtree.json()["total"] == 8
    forbidden = await client.get(
        "/api/v1/statistics", params={"org_unit_id": "oxelosund-ao"}, headers=outside
    )
    assert forbidden.status_code == 403


async def test_the_demo_has_a_second_municipality_with_its_own_series_and_category(
    app: FastAPI, client: AsyncClient, both: None, tokens: TokenFactory
) -> None:
    rows, counters = build()
    trosa_rows = [r for r in rows if r["municipality_id"] == "trosa"]
    assert len(trosa_rows) == 54
    assert counters[("trosa", "SN 2024/*")] == 54
    assert [r["reference_number"] for r in trosa_rows] == [f"SN 2024/{n}" for n in range(1, 55)]
    catalog = Catalog(
        "trosa", [MunicipalCategory(**c, updated_by="demo") for c in trosa.CATEGORIES]
    )
    assert all(
        catalog.find(r["category"], 2024, CaseKind(r["kind"])) is not None for r in trosa_rows
    )
    assert await load_demo(app.state.database) is True

    staff = tokens.headers("case_handler", org_units=["trosa"])
    statistics = (await client.get("/api/v1/statistics", headers=staff)).json()
    assert statistics["total"] == 54
    kinds = _by(statistics["by_kind"], "year", "kind")
    assert kinds == {(2024, "deviation"): 40, (2024, "complaint"): 6, (2024, "feedback"): 8}
    months = statistics["by_category_month"]
    assert sum(r["count"] for r in months if r["category"] == "nattillsyn") == 6
    settings = (
        await client.get("/api/v1/municipalities/trosa/case-settings", headers=staff)
    ).json()
    assert settings["settings"]["reference_format"] == "SN {year}/{n}"
    listed = await client.get(
        "/api/v1/municipalities/trosa/categories", params={"year": 2024}, headers=staff
    )
    labels = {c["code"]: (c["label"], c["source"]) for c in listed.json()}
    assert labels["nattillsyn"] == ("Nattillsyn", "own")
    assert labels["insats_ej_utford"] == ("Missad insats", "national")
    # Oxelösund's statistics do not count Trosa's cases
    oxelosund = (
        await client.get(
            "/api/v1/statistics",
            params={"kind": "deviation", "law_area": "HSL"},
            headers=tokens.headers("reader", org_units=["oxelosund"]),
        )
    ).json()
    assert _by(oxelosund["by_year"], "year") == {2022: 891, 2023: 1735, 2024: 2729}
