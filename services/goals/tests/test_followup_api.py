"""Assessments and activities through the API, and a roll-up computed from them."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

PLAN = {
    "id": "von-vp",
    "org_unit_id": "oxelosund-von",
    "name": "Verksamhetsplan 2025–2027",
    "start_year": 2025,
    "end_year": 2027,
}


@pytest.fixture
def planner(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("planner", org_units=["oxelosund-von"], subject="von-planner")


async def _post(
    client: AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def plan(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> None:
    await _post(client, "/api/v1/plans", PLAN, planner)
    goals = "/api/v1/plans/von-vp/goals"
    await _post(
        client,
        goals,
        {"id": "km", "code": "KM4", "level": "kommunmal", "title": "Ålderdom"},
        planner,
    )
    await _post(
        client,
        goals,
        {
            "id": "kf",
            "code": "KF-07",
            "level": "kf_mal",
            "parent_id": "km",
            "title": "KF",
            "follow_up_tag": "D/B",
        },
        planner,
    )
    for number in (1, 2, 3):
        await _post(
            client,
            goals,
            {
                "id": f"nm{number}",
                "code": f"NM-0{number}",
                "level": "namndmal",
                "parent_id": "kf",
                "title": f"Mål {number}",
            },
            planner,
        )


def _assessment(**extra: Any) -> dict[str, Any]:
    return {"year": 2025, "period": "delar", "kind": "forecast", "answer": "Ja", **extra}


async def _report(client: AsyncClient, headers: dict[str, str], period: str, **params: Any) -> Any:
    response = await client.get(
        "/api/v1/plans/von-vp/follow-up",
        params={"year": 2025, "period": period, **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_assessments_are_kept_and_the_latest_counts(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    first = await _post(
        client, "/api/v1/goals/nm1/assessments", _assessment(colour="green"), planner
    )
    assert (first["author"], first["kind"], first["answer"]) == ("von-planner", "forecast", "Ja")
    await _post(
        client,
        "/api/v1/goals/nm1/assessments",
        _assessment(
            answer="Delvis",
            colour="yellow",
            comment="Sjukfrånvaron steg under våren.",
            causes="Influensa",
            consequences="Fler vikarier",
            actions_taken="Hälsosamtal",
            actions_planned="Friskvårdstimme",
        ),
        planner,
    )
    await _post(client, "/api/v1/goals/nm2/assessments", _assessment(), planner)
    history = await client.get(
        "/api/v1/goals/nm1/assessments", params={"year": 2025}, headers=planner
    )
    assert [a["answer"] for a in history.json()] == ["Ja", "Delvis"]
    assert history.json()[1]["actions_planned"] == "Friskvårdstimme"
    interim = await _report(client, planner, "delar")
    total = interim["rollup"]["total"]
    assert (total["goals"], total["fulfilled"], total["percent"]) == (3, 1, 33)
    assert total["result_level"] == "Relativt låg måluppfyllelse"
    # Final answers at year end; the interim forecasts do not carry over to another period.
    annual = await _report(client, planner, "helar")
    assert annual["rollup"]["total"]["fulfilled"] == 0
    for goal in ("nm1", "nm2"):
        await _post(
            client,
            f"/api/v1/goals/{goal}/assessments",
            _assessment(period="helar", kind="final"),
            planner,
        )
    await _post(
        client,
        "/api/v1/goals/nm3/assessments",
        _assessment(period="helar", kind="forecast"),
        planner,
    )
    await _post(
        client,
        "/api/v1/goals/nm3/assessments",
        _assessment(period="helar", kind="final", answer="Nej"),
        planner,
    )
    annual = await _report(client, planner, "helar")
    total = annual["rollup"]["total"]
    assert (total["fulfilled"], total["percent"], total["result_level"]) == (
        2,
        67,
        "God måluppfyllelse",
    )
    nm3 = annual["goals"][0]["children"][0]["children"][2]
    assert (nm3["assessment"]["answer"], nm3["forecast"]["answer"], nm3["fulfilled"]) == (
        "Nej",
        "Ja",
        False,
    )


async def test_bad_assessments_are_refused(
    client: AsyncClient, plan: None, planner: dict[str, str], tokens: TokenFactory
) -> None:
    url = "/api/v1/goals/nm1/assessments"
    cases = [
        (_assessment(period="q3"), 422, "body.period"),
        (_assessment(year=2030), 422, "body.year"),
        (_assessment(answer="Kanske"), 422, "body.answer"),
        (_assessment(colour="blue"), 422, "body.colour"),
        (_assessment(kind="guess"), 422, "body.kind"),
        (_assessment(author="someone"), 422, "body.author"),
    ]
    for body, status, field in cases:
        response = await client.post(url, json=body, headers=planner)
        assert response.status_code == status, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert (
        await client.post("/api/v1/goals/nope/assessments", json=_assessment(), headers=planner)
    ).status_code == 404
    other = tokens.headers("planner", org_units=["oxelosund-vof"])
    assert (await client.post(url, json=_assessment(), headers=other)).status_code == 403
    reader = tokens.headers("reader")
    assert (await client.post(url, json=_assessment(), headers=reader)).status_code == 403
    assert (await client.get(url, headers=reader)).status_code == 200


def _activity(**extra: Any) -> dict[str, Any]:
    return {
        "org_unit_id": "oxelosund-hemtjanst",
        "year": 2025,
        "title": "Nyckelfri hemtjänst",
        "status": "pagaende",
        **extra,
    }


async def test_activities_roll_up_per_status(
    client: AsyncClient, plan: None, planner: dict[str, str], tokens: TokenFactory
) -> None:
    unit_manager = tokens.headers(
        "planner", org_units=["oxelosund-hemtjanst"], subject="enhetschef"
    )
    created = await _post(
        client,
        "/api/v1/goals/nm1/activities",
        _activity(due_quarter="2025-Q4", progress=40),
        unit_manager,
    )
    await _post(client, "/api/v1/goals/nm1/activities", _activity(status="avslutad"), unit_manager)
    await _post(client, "/api/v1/goals/nm2/activities", _activity(status="avslutad"), unit_manager)
    await _post(
        client, "/api/v1/goals/nm2/activities", _activity(org_unit_id="oxelosund-von"), planner
    )
    moved = await client.patch(
        f"/api/v1/activities/{created['id']}",
        json={"status": "forsenad", "progress": 60},
        headers=unit_manager,
    )
    assert (moved.json()["status"], moved.json()["progress"]) == ("forsenad", 60)
    report = await _report(client, planner, "helar")
    texts = {s["label"]: s["text"] for s in report["rollup"]["activities"]["by_status"]}
    assert texts == {
        "Ej påbörjad": "0 st (0 %)",
        "Pågående": "1 st (25 %)",
        "Avslutad": "2 st (50 %)",
        "Försenad": "1 st (25 %)",
        "Stoppad": "0 st (0 %)",
    }
    nm1 = report["goals"][0]["children"][0]["children"][0]["activities"]
    assert (nm1["total"], nm1["by_status"][2]["text"]) == (2, "1 st (50 %)")
    only_von = await _report(client, planner, "helar", include_below="false")
    assert only_von["rollup"]["activities"]["total"] == 1
    unit = await _report(client, planner, "helar", org_unit_id="oxelosund-hemtjanst")
    assert unit["rollup"]["activities"]["total"] == 3
    listed = await client.get(
        "/api/v1/goals/nm1/activities", params={"year": 2025}, headers=planner
    )
    assert [a["status"] for a in listed.json()] == ["forsenad", "avslutad"]


async def test_bad_activities_are_refused(
    client: AsyncClient, plan: None, planner: dict[str, str], tokens: TokenFactory
) -> None:
    url = "/api/v1/goals/nm1/activities"
    cases = [
        (_activity(status="klar"), "body.status"),
        (_activity(org_unit_id="oxelosund-ks"), "body.org_unit_id"),
        (_activity(year=2024), "body.year"),
        (_activity(progress=120), "body.progress"),
        (_activity(due_quarter="2025-Q5"), "body.due_quarter"),
        (_activity(start_date="2025-05-01", end_date="2025-04-01"), "body"),
    ]
    for body, field in cases:
        response = await client.post(url, json=body, headers=planner)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    sabo = tokens.headers("planner", org_units=["oxelosund-sabo"])
    assert (await client.post(url, json=_activity(), headers=sabo)).status_code == 403
    created = await _post(client, url, _activity(), planner)
    patch = f"/api/v1/activities/{created['id']}"
    assert (await client.patch(patch, json={"status": "klar"}, headers=planner)).status_code == 422
    assert (await client.patch(patch, json={"progress": None}, headers=planner)).status_code == 422
    assert (await client.patch(patch, json={"status": "stoppad"}, headers=sabo)).status_code == 403
    assert (
        await client.patch("/api/v1/activities/999", json={}, headers=planner)
    ).status_code == 404


async def test_a_publication_freezes_what_was_reported(
    client: AsyncClient, plan: None, planner: dict[str, str], tokens: TokenFactory
) -> None:
    await _post(client, "/api/v1/goals/nm1/assessments", _assessment(), planner)
    url = "/api/v1/plans/von-vp/follow-up/publications"
    published = await _post(
        client, url, {"year": 2025, "period": "delar", "note": "Delår"}, planner
    )
    assert (published["percent"], published["computed"]) == (33, True)
    await _post(client, "/api/v1/goals/nm2/assessments", _assessment(), planner)
    assert (await _report(client, planner, "delar"))["rollup"]["total"]["percent"] == 67
    frozen = await client.get(f"/api/v1/follow-up-publications/{published['id']}", headers=planner)
    assert frozen.json()["report"]["rollup"]["total"]["percent"] == 33
    printed = await _post(
        client, url, {"year": 2025, "period": "helar", "printed": {"percent": 50}}, planner
    )
    assert (printed["result_level"], printed["report"]) == ("God måluppfyllelse", None)
    listed = await client.get(url, params={"year": 2025}, headers=planner)
    assert [p["percent"] for p in listed.json()] == [33, 50]
    bad = await client.post(url, json={"year": 2025, "period": "x"}, headers=planner)
    assert bad.json()["errors"][0]["field"] == "body.period"
    too_much = await client.post(
        url, json={"year": 2025, "period": "helar", "printed": {"percent": 101}}, headers=planner
    )
    assert too_much.json()["errors"][0]["field"] == "body.printed.percent"
    other = tokens.headers("planner", org_units=["oxelosund-ks"])
    assert (
        await client.post(url, json={"year": 2025, "period": "delar"}, headers=other)
    ).status_code == 403
    assert (
        await client.get("/api/v1/plans/nope/follow-up/publications", headers=planner)
    ).status_code == 404
    assert (
        await client.get("/api/v1/follow-up-publications/999", headers=planner)
    ).status_code == 404
