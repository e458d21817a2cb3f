"""Organisation units: the tree, renames, moves, the 2023 merger, and the change feed."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

LEVELS = [
    ("municipality", "Kommun", 0),
    ("committee", "Nämnd", 1),
    ("administration", "Förvaltning", 2),
    ("unit", "Enhet", 4),
]


async def _levels(client: AsyncClient, admin: dict[str, str]) -> None:
    for key, label, rank in LEVELS:
        response = await client.put(
            f"/api/v1/org-levels/{key}", json={"label": label, "rank": rank}, headers=admin
        )
        assert response.status_code == 200, response.text


async def _unit(client: AsyncClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/org-units", json=body, headers=admin)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def tree(client: AsyncClient, admin: dict[str, str]) -> None:
    await _levels(client, admin)
    await _unit(
        client, admin, id="oxelosund", code="OXD", name="Oxelösunds kommun", level="municipality"
    )
    await _unit(
        client,
        admin,
        id="von",
        code="VON",
        name="Vård- och omsorgsnämnden",
        level="committee",
        parent_id="oxelosund",
    )
    await _unit(
        client,
        admin,
        id="sof",
        code="SOF",
        name="Socialförvaltningen",
        level="administration",
        parent_id="von",
        valid_to="2022-12-31",
    )
    await _unit(
        client,
        admin,
        id="af",
        code="ÄF",
        name="Äldreförvaltningen",
        level="administration",
        parent_id="von",
        valid_to="2022-12-31",
    )
    await _unit(
        client,
        admin,
        id="vof",
        code="VOF",
        name="Vård- och omsorgsförvaltningen",
        level="administration",
        parent_id="von",
        valid_from="2023-01-01",
    )


async def test_listing_by_date_shows_the_merger(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    before = await client.get(
        "/api/v1/org-units", params={"parent_id": "von", "as_of": "2022-06-30"}, headers=admin
    )
    after = await client.get(
        "/api/v1/org-units", params={"parent_id": "von", "as_of": "2023-06-30"}, headers=admin
    )
    assert sorted(u["code"] for u in before.json()["items"]) == ["SOF", "ÄF"]
    assert [u["code"] for u in after.json()["items"]] == ["VOF"]
    # a number is no date (pydantic would read it as seconds since 1970)
    seconds = await client.get("/api/v1/org-units", params={"as_of": "0"}, headers=admin)
    assert seconds.status_code == 422
    assert seconds.json()["errors"][0]["field"] == "query.as_of"
    # nor is true a rank
    rank = await client.put(
        "/api/v1/org-levels/unit", json={"label": "Enhet", "rank": True}, headers=admin
    )
    assert rank.status_code == 422
    assert rank.json()["errors"][0]["field"] == "body.rank"


async def test_merger_closes_old_units_and_names_the_successor(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    for old in ("sof", "af"):
        response = await client.patch(
            f"/api/v1/org-units/{old}", json={"successor_id": "vof"}, headers=admin
        )
        assert response.status_code == 200, response.text
        assert response.json()["successor_id"] == "vof"
        # The old unit keeps its id, so 2022 figures stay attached to it.
        assert (await client.get(f"/api/v1/org-units/{old}", headers=admin)).json()[
            "valid_to"
        ] == "2022-12-31"


async def test_rename_and_move_are_kept_in_history(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    await _unit(
        client, admin, id="hemtjanst", code="HT", name="Hemtjänst", level="unit", parent_id="sof"
    )
    renamed = await client.patch(
        "/api/v1/org-units/hemtjanst",
        json={"name": "Hemtjänsten", "effective_from": "2023-03-01"},
        headers=admin,
    )
    moved = await client.patch(
        "/api/v1/org-units/hemtjanst", json={"parent_id": "vof"}, headers=admin
    )
    assert renamed.status_code == moved.status_code == 200
    history = (await client.get("/api/v1/org-units/hemtjanst/history", headers=admin)).json()
    assert [h["kind"] for h in history] == ["created", "renamed", "moved"]
    assert history[1]["before"]["name"] == "Hemtjänst"
    assert history[1]["after"]["name"] == "Hemtjänsten"
    assert history[1]["effective_from"] == "2023-03-01"
    assert history[2]["before"]["parent_id"] == "sof"
    assert history[2]["after"]["parent_id"] == "vof"


async def test_a_unit_cannot_move_under_itself(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    response = await client.patch("/api/v1/org-units/von", json={"parent_id": "vof"}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.parent_id"


async def test_bad_references_and_duplicates_are_refused(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    unknown_parent = await client.post(
        "/api/v1/org-units",
        json={"code": "X", "name": "X", "level": "unit", "parent_id": "nope"},
        headers=admin,
    )
    unknown_level = await client.post(
        "/api/v1/org-units", json={"code": "Y", "name": "Y", "level": "galaxy"}, headers=admin
    )
    # Codes are unique within a municipality (and a municipality's own among municipalities).
    duplicate_code = await client.post(
        "/api/v1/org-units",
        json={"code": "VON", "name": "Dup", "level": "committee", "parent_id": "oxelosund"},
        headers=admin,
    )
    duplicate_root = await client.post(
        "/api/v1/org-units",
        json={"code": "OXD", "name": "Dup", "level": "municipality"},
        headers=admin,
    )
    bad_dates = await client.post(
        "/api/v1/org-units",
        json={
            "code": "Z",
            "name": "Z",
            "level": "unit",
            "valid_from": "2024-01-01",
            "valid_to": "2023-01-01",
        },
        headers=admin,
    )
    assert unknown_parent.status_code == 422
    assert unknown_parent.json()["errors"][0]["field"] == "body.parent_id"
    assert unknown_level.json()["errors"][0]["field"] == "body.level"
    assert duplicate_code.status_code == duplicate_root.status_code == 409
    assert bad_dates.status_code == 422
    assert unknown_parent.headers["content-type"] == "application/problem+json"


async def test_change_feed_is_ordered_and_resumable(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    await client.patch(
        "/api/v1/org-units/sof", json={"name": "Socialförvaltningen (avvecklad)"}, headers=admin
    )
    full = (
        await client.get("/api/v1/org-units/changes", params={"after": "0"}, headers=admin)
    ).json()
    seqs = [item["seq"] for item in full["items"]]
    assert seqs == sorted(seqs)
    assert len(seqs) == 6
    assert [item["unit_id"] for item in full["items"]] == [
        "oxelosund",
        "von",
        "sof",
        "af",
        "vof",
        "sof",
    ]
    assert full["has_more"] is False

    # Page through two at a time from every cursor: the same changes, in the same order.
    collected: list[int] = []
    cursor = "0"
    while True:
        page = (
            await client.get(
                "/api/v1/org-units/changes", params={"after": cursor, "limit": 2}, headers=admin
            )
        ).json()
        collected += [item["seq"] for item in page["items"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert collected == seqs

    # Resuming from the middle gives exactly the rest; polling at the end gives nothing new.
    middle = (
        await client.get("/api/v1/org-units/changes", params={"after": str(seqs[2])}, headers=admin)
    ).json()
    assert [item["seq"] for item in middle["items"]] == seqs[3:]
    empty = (
        await client.get(
            "/api/v1/org-units/changes", params={"after": full["cursor"]}, headers=admin
        )
    ).json()
    assert empty["items"] == []
    assert empty["cursor"] == full["cursor"]

    bad = await client.get("/api/v1/org-units/changes", params={"after": "abc"}, headers=admin)
    assert bad.status_code == 422


async def test_only_admins_change_the_organisation(
    client: AsyncClient, tokens: TokenFactory, tree: None
) -> None:
    planner = tokens.headers("planner", org_units=["von"])
    response = await client.post(
        "/api/v1/org-units", json={"code": "Q", "name": "Q", "level": "unit"}, headers=planner
    )
    assert response.status_code == 403
    listing = await client.get("/api/v1/org-units", headers=tokens.headers("reader"))
    assert listing.status_code == 200
    assert len(listing.json()["items"]) == 5


async def test_listing_paginates_with_cursors(
    client: AsyncClient, admin: dict[str, str], tree: None
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/org-units", params=params, headers=admin)).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == seen
    assert len(seen) == 5
    bad = await client.get("/api/v1/org-units", params={"cursor": "!!!"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.cursor"
