"""Plans, the steering configuration and the goal tree versioned per plan year."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from styr_goals.demo.steering import CONFIG
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


async def _goal(client: AsyncClient, headers: dict[str, str], **body: Any) -> Any:
    return await _post(client, "/api/v1/plans/von-vp/goals", body, headers)


@pytest.fixture
async def plan(client: AsyncClient, oxelosund: None, planner: dict[str, str]) -> None:
    await _post(client, "/api/v1/plans", PLAN, planner)
    await _goal(
        client, planner, id="km4", code="KM4", level="kommunmal", title="Trygg och värdig ålderdom"
    )
    await _goal(
        client,
        planner,
        id="kf07",
        code="KF-07",
        level="kf_mal",
        parent_id="km4",
        title="KF 7",
        follow_up_tag="B",
    )
    await _goal(
        client,
        planner,
        id="kf08",
        code="KF-08",
        level="kf_mal",
        parent_id="km4",
        title="KF 8",
        follow_up_tag="D/B",
    )
    await _goal(
        client,
        planner,
        id="nm06",
        code="NM-06",
        level="namndmal",
        parent_id="kf07",
        title="Trygghet",
    )


async def _tree(client: AsyncClient, headers: dict[str, str], year: int) -> list[Any]:
    response = await client.get(
        "/api/v1/plans/von-vp/goals", params={"year": year}, headers=headers
    )
    assert response.status_code == 200, response.text
    result: list[Any] = response.json()
    return result


async def test_config_is_admin_only_and_validated(
    client: AsyncClient, oxelosund: None, admin: dict[str, str], planner: dict[str, str]
) -> None:
    url = "/api/v1/municipalities/oxelosund/steering-config"
    document = CONFIG.model_dump(mode="json")
    assert (await client.put(url, json=document, headers=planner)).status_code == 403
    saved = await client.put(url, json=document, headers=admin)
    assert saved.status_code == 200
    assert saved.json()["document"]["result_levels"][0]["label"] == "Mycket god måluppfyllelse"
    no_floor = {**document, "result_levels": [{"min_percent": 70, "label": "Mycket god"}]}
    refused = await client.put(url, json=no_floor, headers=admin)
    assert refused.status_code == 422
    not_root = await client.put(
        "/api/v1/municipalities/oxelosund-von/steering-config", json=document, headers=admin
    )
    assert not_root.status_code == 422
    read = await client.get(url, headers=planner)
    assert read.json()["document"]["goal_levels"][2] == {
        "key": "namndmal",
        "label": "Nämndmål",
        "rank": 2,
        "rollup": True,
    }


async def test_a_goal_is_reparented_and_retired_without_rewriting_the_past(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    moved = await client.post(
        "/api/v1/goals/nm06/revisions",
        json={"from_year": 2026, "parent_id": "kf08", "title": "Trygghet i hemtjänsten"},
        headers=planner,
    )
    assert moved.status_code == 200, moved.text
    retired = await client.post(
        "/api/v1/goals/nm06/retire", json={"from_year": 2027}, headers=planner
    )
    assert retired.status_code == 200, retired.text
    versions = retired.json()["versions"]
    assert [(v["valid_from_year"], v["valid_to_year"], v["parent_id"]) for v in versions] == [
        (2025, 2025, "kf07"),
        (2026, 2026, "kf08"),
    ]

    def children(tree: list[Any]) -> dict[str, list[str]]:
        return {kf["code"]: [nm["title"] for nm in kf["children"]] for kf in tree[0]["children"]}

    assert children(await _tree(client, planner, 2025)) == {"KF-07": ["Trygghet"], "KF-08": []}
    assert children(await _tree(client, planner, 2026)) == {
        "KF-07": [],
        "KF-08": ["Trygghet i hemtjänsten"],
    }
    assert children(await _tree(client, planner, 2027)) == {"KF-07": [], "KF-08": []}


async def test_kf_goals_carry_tag_and_addressees(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    kf = await _goal(
        client,
        planner,
        code="KF-03",
        level="kf_mal",
        parent_id="km4",
        title="Riktat mål",
        follow_up_tag="B",
        addressed_to=["oxelosund-ks"],
    )
    assert kf["versions"][0]["addressed_to"] == ["oxelosund-ks"]
    node = next(
        n for n in (await _tree(client, planner, 2025))[0]["children"] if n["code"] == "KF-03"
    )
    assert (node["follow_up_tag"], node["level_label"]) == ("B", "KF-mål")


BAD_GOALS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"code": "X", "level": "nope", "title": "t"}, 422, "body.level"),
    (
        {"code": "X", "level": "kommunmal", "title": "t", "parent_id": "nm06"},
        422,
        "body.parent_id",
    ),
    (
        {"code": "X", "level": "kf_mal", "title": "t", "follow_up_tag": "Q"},
        422,
        "body.follow_up_tag",
    ),
    (
        {"code": "X", "level": "kf_mal", "title": "t", "addressed_to": ["nope"]},
        422,
        "body.addressed_to.0",
    ),
    (
        {"code": "X", "level": "kf_mal", "title": "t", "valid_from_year": 2030},
        422,
        "body.valid_from_year",
    ),
    ({"code": "X", "level": "kf_mal", "title": "t", "colour": "red"}, 422, "body.colour"),
    ({"code": "X", "level": "kf_mal"}, 422, "body.title"),
    ({"code": "KM4", "level": "kommunmal", "title": "t"}, 409, None),
]


async def test_bad_goals_are_refused(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    for body, status, field in BAD_GOALS:
        response = await client.post("/api/v1/plans/von-vp/goals", json=body, headers=planner)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if field:
            assert response.json()["errors"][0]["field"] == field, body


async def test_retiring_a_goal_with_children_is_refused(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/goals/kf07/retire", json={"from_year": 2026}, headers=planner
    )
    assert response.status_code == 409
    not_in_tree = await client.post(
        "/api/v1/goals/nm06/revisions", json={"from_year": 2031, "title": "x"}, headers=planner
    )
    assert not_in_tree.status_code == 422


async def test_writing_is_limited_by_role_and_org_scope(
    client: AsyncClient, plan: None, tokens: TokenFactory
) -> None:
    vof_planner = tokens.headers("planner", org_units=["oxelosund-vof"])
    ks_planner = tokens.headers("planner", org_units=["oxelosund-ks"])
    reader = tokens.headers("reader")
    body = {"code": "NM-99", "level": "namndmal", "parent_id": "kf07", "title": "t"}
    for headers in (vof_planner, ks_planner):
        refused = await client.post("/api/v1/plans/von-vp/goals", json=body, headers=headers)
        assert refused.status_code == 403
        patched = await client.patch("/api/v1/plans/von-vp", json={"name": "x"}, headers=headers)
        assert patched.status_code == 403
    assert (
        await client.post("/api/v1/plans/von-vp/goals", json=body, headers=reader)
    ).status_code == 403
    other = {**PLAN, "id": "ks-plan", "org_unit_id": "oxelosund-ks"}
    assert (await client.post("/api/v1/plans", json=other, headers=vof_planner)).status_code == 403
    assert (await client.post("/api/v1/plans", json=other, headers=ks_planner)).status_code == 201
    # Reading is open to every authenticated role.
    listed = await client.get("/api/v1/plans", headers=reader)
    assert [p["id"] for p in listed.json()["items"]] == ["ks-plan", "von-vp"]
    assert (await client.get("/api/v1/plans")).status_code == 401


async def test_plans_list_filters_and_paginates(
    client: AsyncClient, plan: None, planner: dict[str, str]
) -> None:
    await _post(
        client,
        "/api/v1/plans",
        {**PLAN, "id": "von-old", "start_year": 2022, "end_year": 2024},
        planner,
    )
    first = await client.get("/api/v1/plans", params={"limit": 1}, headers=planner)
    second = await client.get(
        "/api/v1/plans", params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=planner
    )
    assert [p["id"] for p in first.json()["items"] + second.json()["items"]] == [
        "von-old",
        "von-vp",
    ]
    covering = await client.get("/api/v1/plans", params={"year": 2026}, headers=planner)
    assert [p["id"] for p in covering.json()["items"]] == ["von-vp"]
    renamed = await client.patch(
        "/api/v1/plans/von-vp", json={"adopted_on": "2024-12-17"}, headers=planner
    )
    assert renamed.json()["adopted_on"] == "2024-12-17"


BAD_PLANS: list[tuple[dict[str, Any], str]] = [
    ({**PLAN, "end_year": 2020}, "body"),
    ({**PLAN, "org_unit_id": "nope"}, "body.org_unit_id"),
    ({**PLAN, "start_year": "soon"}, "body.start_year"),
    ({**PLAN, "owner": "x"}, "body.owner"),
]


async def test_bad_plans_are_refused(
    client: AsyncClient, oxelosund: None, planner: dict[str, str]
) -> None:
    for body, field in BAD_PLANS:
        response = await client.post("/api/v1/plans", json=body, headers=planner)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, body


async def test_plan_and_goal_reads(client: AsyncClient, plan: None, tokens: TokenFactory) -> None:
    reader = tokens.headers("reader")
    one = await client.get("/api/v1/plans/von-vp", headers=reader)
    assert (one.status_code, one.json()["name"]) == (200, "Verksamhetsplan 2025–2027")
    goal = await client.get("/api/v1/goals/nm06", headers=reader)
    assert (goal.json()["level"], goal.json()["code"], len(goal.json()["versions"])) == (
        "namndmal",
        "NM-06",
        1,
    )
    assert (await client.get("/api/v1/plans/nope", headers=reader)).status_code == 404
    assert (await client.get("/api/v1/goals/nope", headers=reader)).status_code == 404
    outside = await client.get("/api/v1/plans/von-vp/goals", params={"year": 2024}, headers=reader)
    assert outside.json()["errors"][0]["field"] == "query.year"
    config = await client.get("/api/v1/municipalities/nowhere/steering-config", headers=reader)
    assert config.status_code == 404


async def test_every_route_is_documented(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 35
    assert [(p, m) for p, m, op in operations if not op.get("summary")] == []
    for path in ("/api/v1/plans", "/api/v1/measures", "/api/v1/plans/{plan_id}/follow-up"):
        assert "get" in schema["paths"][path]
