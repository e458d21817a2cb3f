"""Two municipalities in one deployment: Trosa is created beside Oxelösund with a committee
coded ``VON`` too, and nothing Trosa's admin, planner or importer does changes Oxelösund; an
import resolves ``VON`` (and measure codes) in the importer's municipality."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient

from styr_goals.demo.trosa import CONFIG as TROSA_CONFIG
from styr_goals.demo.trosa import UNITS as TROSA_UNITS
from styr_shared.testing import TokenFactory

IMPORT = "/api/v1/measure-values/import"
CSV = {"content-type": "text/csv"}


def _measure(measure_id: str, unit: str, goal: str | None = None) -> dict[str, Any]:
    """A measure coded ``M-01`` (the same code in both municipalities), Kolada KPI U21468."""
    return {
        "id": measure_id,
        "code": "M-01",
        "org_unit_id": unit,
        "name": "Brukarbedömning hemtjänst äldreomsorg – helhetssyn, andel (%)",
        "unit_kind": "percent",
        "direction": "increase",
        "kolada_kpi_id": "U21468",
        "goal_ids": [goal] if goal else [],
        "series": [{"targets": {"2025": {"op": ">=", "value": 90}}}],
    }


async def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _oxelosund_plan(client: AsyncClient, planner: dict[str, str]) -> None:
    """Oxelösund VON's plan with one goal, measure ``M-01`` and a 2024 value."""
    plan = {
        "id": "oxd-plan",
        "org_unit_id": "oxelosund-von",
        "name": "Verksamhetsplan 2025–2027",
        "start_year": 2025,
        "end_year": 2027,
    }
    await _ok(await client.post("/api/v1/plans", json=plan, headers=planner), 201)
    goal = {"id": "oxd-km", "code": "KM1", "level": "kommunmal", "title": "Trygg ålderdom"}
    await _ok(await client.post("/api/v1/plans/oxd-plan/goals", json=goal, headers=planner), 201)
    measure = _measure("oxd-m01", "oxelosund-von", "oxd-km")
    await _ok(await client.post("/api/v1/measures", json=measure, headers=planner), 201)
    value = {"org_unit_id": "oxelosund-von", "period": "2024", "value": 88}
    await _ok(await client.put("/api/v1/measures/oxd-m01/values", json=value, headers=planner), 201)


async def _oxelosund_state(client: AsyncClient, operator: dict[str, str]) -> dict[str, Any]:
    """Everything of Oxelösund that Trosa's people could reach, as the operator reads it."""

    async def get(url: str, **params: Any) -> Any:
        return await _ok(await client.get(url, params=params, headers=operator))

    units = await get("/api/v1/org-units", municipality="oxelosund", limit=500)
    return {
        "units": units,
        "histories": {
            unit["id"]: await get(f"/api/v1/org-units/{unit['id']}/history")
            for unit in units["items"]
        },
        "plans": await get("/api/v1/plans", org_unit_id="oxelosund-von"),
        "goals": await get("/api/v1/plans/oxd-plan/goals", year=2025),
        "measures": await get("/api/v1/measures", municipality="oxelosund"),
        "values": await get("/api/v1/measure-values", plan_id="oxd-plan"),
        "audit": await get("/api/v1/measures/oxd-m01/audit"),
        "config": await get("/api/v1/municipalities/oxelosund/steering-config"),
        "settings": await get("/api/v1/municipalities/oxelosund/settings/history"),
        "locks": [
            lock
            for lock in await get("/api/v1/value-locks")
            if lock["org_unit_id"].startswith("oxelosund")
        ],
    }


async def test_nothing_trosa_does_changes_oxelosund(
    client: AsyncClient, oxelosund: None, tokens: TokenFactory
) -> None:
    operator = tokens.headers("admin", subject="operator")
    oxd_planner = tokens.headers("planner", org_units=["oxelosund-von"], subject="oxd-planner")
    await _oxelosund_plan(client, oxd_planner)
    before = await _oxelosund_state(client, operator)

    # The operator creates the municipality; Trosa's own admin builds its tree and settings.
    (root_id, root_code, root_name, root_level, _, kolada), *units = TROSA_UNITS
    root = {
        "id": root_id,
        "code": root_code,
        "name": root_name,
        "level": root_level,
        "kolada_id": kolada,
    }
    await _ok(await client.post("/api/v1/org-units", json=root, headers=operator), 201)
    admin = tokens.headers("admin", org_units=["trosa"], subject="trosa-admin")
    for unit_id, code, name, level, parent, _ in units:
        body = {"id": unit_id, "code": code, "name": name, "level": level, "parent_id": parent}
        created = await _ok(await client.post("/api/v1/org-units", json=body, headers=admin), 201)
        assert created["municipality_id"] == "trosa"
    renamed = {"name": "Vård- och omsorgsnämnden i Trosa", "code": "VON"}
    await _ok(await client.patch("/api/v1/org-units/trosa-von", json=renamed, headers=admin))
    moved = {"parent_id": "trosa-von"}
    await _ok(await client.patch("/api/v1/org-units/trosa-sabo", json=moved, headers=admin))
    config = TROSA_CONFIG.model_dump(mode="json")
    await _ok(
        await client.put("/api/v1/municipalities/trosa/steering-config", json=config, headers=admin)
    )
    lock = {"closed_through": "2023-12-31"}
    await _ok(await client.put("/api/v1/value-locks/trosa", json=lock, headers=admin))

    # Trosa's planner: a plan, a goal, measure M-01 (Oxelösund has one too), targets, values.
    planner = tokens.headers("planner", org_units=["trosa-von"], subject="trosa-planner")
    plan = {
        "id": "trosa-plan",
        "org_unit_id": "trosa-von",
        "name": "Verksamhetsplan 2025–2027",
        "start_year": 2025,
        "end_year": 2027,
    }
    await _ok(await client.post("/api/v1/plans", json=plan, headers=planner), 201)
    goal = {"id": "trosa-fm", "code": "KM1", "level": "fullmaktigemal", "title": "Trygg ålderdom"}
    await _ok(await client.post("/api/v1/plans/trosa-plan/goals", json=goal, headers=planner), 201)
    measure = _measure("trosa-m01", "trosa-von", "trosa-fm")
    await _ok(await client.post("/api/v1/measures", json=measure, headers=planner), 201)
    target = {"op": ">=", "value": 91}
    await _ok(
        await client.put("/api/v1/measures/trosa-m01/targets/2026", json=target, headers=planner)
    )
    value = {"org_unit_id": "trosa-von", "period": "2025", "value": 90}
    await _ok(
        await client.put("/api/v1/measures/trosa-m01/values", json=value, headers=planner), 201
    )
    importer = tokens.headers("importer", org_units=["trosa"], subject="trosa-nightly")
    night = "measure;org_unit;period;value\nM-01;VON;2024;87\nM-01;HT;2024;85\n"
    result = await _ok(await client.post(IMPORT, content=night, headers=importer | CSV))
    assert result["counts"]["inserted"] == 2, result

    # Everything aimed at Oxelösund is refused, by Trosa's admin and by its planner alike.
    refused: list[tuple[str, str, Any]] = [
        ("PUT", "/api/v1/municipalities/oxelosund/steering-config", config),
        ("PATCH", "/api/v1/org-units/oxelosund-von", {"name": "Trosas nämnd"}),
        ("PATCH", "/api/v1/org-units/oxelosund", {"code": "TRS2"}),
        (
            "POST",
            "/api/v1/org-units",
            {"code": "X", "name": "X", "level": "unit"} | {"parent_id": "oxelosund-von"},
        ),
        ("PATCH", "/api/v1/plans/oxd-plan", {"name": "Trosas plan"}),
        ("POST", "/api/v1/plans/oxd-plan/goals", goal | {"id": "x", "code": "X"}),
        ("POST", "/api/v1/goals/oxd-km/retire", {"from_year": 2026}),
        ("PATCH", "/api/v1/measures/oxd-m01", {"display_name": "Trosas mått"}),
        ("PUT", "/api/v1/measures/oxd-m01/targets/2026", target),
        ("DELETE", "/api/v1/measures/oxd-m01/targets/2025", None),
        (
            "PUT",
            "/api/v1/measures/oxd-m01/values",
            {"org_unit_id": "oxelosund-von", "period": "2024", "value": 1},
        ),
        ("PUT", "/api/v1/value-locks/oxelosund-von", lock),
        (
            "POST",
            "/api/v1/goals/oxd-km/assessments",
            {"year": 2025, "period": "helar", "kind": "final", "answer": "Nej"},
        ),
    ]
    for headers in (admin, planner):
        for method, url, body in refused:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 403, (method, url, response.text)
    # Imports: naming Oxelösund is refused; Oxelösund's ids are rejected row by row.
    for named in ("oxelosund", None):
        params = {"municipality": named} if named else {}
        ids = "measure;org_unit;period;value\noxd-m01;oxelosund-von;2024;1\n"
        answer = await client.post(IMPORT, content=ids, params=params, headers=importer | CSV)
        if named:
            assert answer.status_code == 403
        else:
            assert (await _ok(answer))["counts"]["rejected"] == 1
    # Trosa's plan cannot reach into Oxelösund either (422: another municipality's unit/goal).
    addressed = goal | {"id": "y", "code": "Y", "addressed_to": ["oxelosund-ks"]}
    reach = await client.post("/api/v1/plans/trosa-plan/goals", json=addressed, headers=planner)
    assert reach.json()["errors"][0]["field"] == "body.addressed_to.0"
    link = await client.patch(
        "/api/v1/measures/trosa-m01", json={"goal_ids": ["oxd-km"]}, headers=planner
    )
    assert link.json()["errors"][0]["field"] == "body.goal_ids.0"

    assert await _oxelosund_state(client, operator) == before
    # ... while Trosa has its own VON, plan, measure and values.
    trosa_von = await _ok(await client.get("/api/v1/org-units/trosa-von", headers=operator))
    assert (trosa_von["code"], trosa_von["municipality_id"]) == ("VON", "trosa")
    values = await _ok(await client.get("/api/v1/measures/trosa-m01/values", headers=operator))
    assert sorted((v["org_unit_id"], v["period"], v["value"]) for v in values) == [
        ("trosa-hemtjanst", "2024", 85),
        ("trosa-von", "2024", 87),
        ("trosa-von", "2025", 90),
    ]


# --- imports resolve codes in the importer's municipality ---------------------------------


@pytest.fixture
async def two_measures(client: AsyncClient, trosa: None, tokens: TokenFactory) -> None:
    """Measure ``M-01`` (Kolada U21468) on VON in Oxelösund and in Trosa."""
    for measure_id, unit in (("oxd-m01", "oxelosund-von"), ("trosa-m01", "trosa-von")):
        planner = tokens.headers("planner", org_units=[unit])
        await _ok(
            await client.post("/api/v1/measures", json=_measure(measure_id, unit), headers=planner),
            201,
        )


async def _values(client: AsyncClient, headers: dict[str, str]) -> dict[str, list[Any]]:
    return {
        measure: [
            (v["org_unit_id"], v["period"], v["value"])
            for v in await _ok(
                await client.get(f"/api/v1/measures/{measure}/values", headers=headers)
            )
        ]
        for measure in ("oxd-m01", "trosa-m01")
    }


async def test_an_import_resolves_codes_in_the_importers_municipality(
    client: AsyncClient, two_measures: None, tokens: TokenFactory
) -> None:
    night = "measure;org_unit;period;value\nM-01;VON;2024;{value}\n"
    for municipality, value in (("trosa", 81), ("oxelosund", 79)):
        importer = tokens.headers("importer", org_units=[municipality])
        result = await _ok(
            await client.post(IMPORT, content=night.format(value=value), headers=importer | CSV)
        )
        assert result["counts"]["inserted"] == 1, result
    operator = tokens.headers("admin", subject="operator")
    assert await _values(client, operator) == {
        "oxd-m01": [("oxelosund-von", "2024", 79)],
        "trosa-m01": [("trosa-von", "2024", 81)],
    }


async def test_an_importer_in_several_municipalities_names_one_or_codes_are_ambiguous(
    client: AsyncClient, two_measures: None, tokens: TokenFactory
) -> None:
    operator = tokens.headers("admin", subject="operator")
    night = (
        "measure;org_unit;period;value\n"
        "M-01;VON;2024;70\n"  # VON is a unit of both: rejected, not guessed
        "M-01;OXD;2024;71\n"  # only Oxelösund has OXD: its M-01
        "trosa-m01;trosa-sabo;2024;72\n"  # ids name one thing everywhere
        "oxd-m01;trosa-von;2024;73\n"  # a measure and its value's unit in two municipalities
        "trosa-m01;oxelosund-sabo;2024;74\n"
    )
    result = await _ok(await client.post(IMPORT, content=night, headers=operator | CSV))
    assert result["counts"]["inserted"] == 2
    errors = {e["row"]: (e["field"], e["message"]) for e in result["errors"]}
    assert errors[2][0] == "org_unit"
    assert "ambiguous" in errors[2][1]
    assert "oxelosund, trosa" in errors[2][1]
    assert errors[5] == ("org_unit", "not in the measure's municipality (oxelosund)")
    assert errors[6] == ("org_unit", "not in the measure's municipality (trosa)")

    # Named, the municipality decides: VON is Trosa's, and Oxelösund's units are refused.
    named = await _ok(
        await client.post(
            IMPORT,
            content=night.replace("2024", "2025"),
            params={"municipality": "trosa"},
            headers=operator | CSV,
        )
    )
    assert named["counts"]["inserted"] == 2
    messages = {e["row"]: e["message"] for e in named["errors"]}
    assert messages[3] == "unknown org unit"  # OXD is no code of Trosa's
    assert messages[5] == "not in the measure's municipality (oxelosund)"
    assert messages[6] == "not in municipality 'trosa', which this import writes to"
    assert await _values(client, operator) == {
        "oxd-m01": [("oxelosund", "2024", 71)],
        "trosa-m01": [
            ("trosa-sabo", "2024", 72),
            ("trosa-sabo", "2025", 72),
            ("trosa-von", "2025", 70),
        ],
    }

    trosa_importer = tokens.headers("importer", org_units=["trosa"])
    other = await client.post(
        IMPORT, content=night, params={"municipality": "oxelosund"}, headers=trosa_importer | CSV
    )
    assert other.status_code == 403
    unknown = await client.post(
        IMPORT, content=night, params={"municipality": "nowhere"}, headers=operator | CSV
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.municipality"
    runs = await _ok(await client.get("/api/v1/import-runs", headers=operator))
    assert len(runs["items"]) == 2  # the refused requests recorded no run


async def test_a_kolada_page_maps_to_the_municipality_it_names(
    client: AsyncClient, two_measures: None, tokens: TokenFactory
) -> None:
    operator = tokens.headers("admin", subject="operator")
    kolada = {"kolada_id": "0481"}
    await _ok(await client.patch("/api/v1/org-units/oxelosund", json=kolada, headers=operator))
    page = {
        "values": [
            {"kpi": "U21468", "municipality": code, "period": 2024, "values": [value]}
            for code, value in (
                ("0488", {"gender": "T", "value": 90}),
                ("0481", {"gender": "T", "value": 86}),
            )
        ]
    }
    response = await client.post(
        IMPORT,
        content=json.dumps(page),
        headers=operator | {"content-type": "application/json"},
    )
    result = await _ok(response)
    assert result["counts"]["inserted"] == 2, result
    assert await _values(client, operator) == {
        "oxd-m01": [("oxelosund", "2024", 86)],
        "trosa-m01": [("trosa", "2024", 90)],
    }
    # A single value of Oxelösund's measure for a Trosa unit is refused the same way.
    stray = {"org_unit_id": "trosa-von", "period": "2023", "value": 1}
    refused = await client.put("/api/v1/measures/oxd-m01/values", json=stray, headers=operator)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.org_unit_id"


async def test_import_runs_are_seen_within_their_municipality(
    client: AsyncClient, two_measures: None, tokens: TokenFactory
) -> None:
    night = "measure;org_unit;period;value\nM-01;VON;2024;80\nM-01;NOPE;2024;1\n"
    runs = {}
    for municipality in ("oxelosund", "trosa"):
        importer = tokens.headers("importer", org_units=[municipality], subject=municipality)
        result = await _ok(await client.post(IMPORT, content=night, headers=importer | CSV))
        runs[municipality] = result["id"]

    def listed(page: dict[str, Any]) -> list[tuple[int, str | None]]:
        return [(run["id"], run["municipality_id"]) for run in page["items"]]

    controller = tokens.headers("controller", org_units=["trosa-von"], subject="trosa-ekonom")
    seen = await _ok(await client.get("/api/v1/import-runs", headers=controller))
    assert listed(seen) == [(runs["trosa"], "trosa")]
    for path in (
        f"/api/v1/import-runs/{runs['oxelosund']}",
        f"/api/v1/import-runs/{runs['oxelosund']}/errors",
    ):
        assert (await client.get(path, headers=controller)).status_code == 403
    errors = await _ok(
        await client.get(f"/api/v1/import-runs/{runs['trosa']}/errors", headers=controller)
    )
    assert [e["value"] for e in errors["items"]] == ["NOPE"]
    operator = tokens.headers("admin", subject="operator")
    everything = await _ok(await client.get("/api/v1/import-runs", headers=operator))
    assert listed(everything) == [(runs["oxelosund"], "oxelosund"), (runs["trosa"], "trosa")]
    # An importer sees its own runs only.
    own = await _ok(
        await client.get(
            "/api/v1/import-runs",
            headers=tokens.headers("importer", org_units=["trosa"], subject="trosa"),
        )
    )
    assert listed(own) == [(runs["trosa"], "trosa")]
