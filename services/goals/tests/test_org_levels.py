"""Org levels per municipality: the deployment's defaults, overridden and extended by each
municipality's own; unit levels checked against the unit's municipality's effective list;
writes need an admin on the municipality's root and land in its settings history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient

from styr_shared.testing import TokenFactory

UNITS = "/api/v1/org-units"
TROSA_LEVELS = "/api/v1/municipalities/trosa/org-levels"
OXD_LEVELS = "/api/v1/municipalities/oxelosund/org-levels"


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def _operator(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("admin", subject="operator")


async def test_effective_levels_are_the_defaults_until_a_municipality_has_its_own(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    reader = tokens.headers("reader", org_units=["trosa-von"])
    levels = await _json(await client.get(TROSA_LEVELS, headers=reader))
    defaults = await _json(await client.get("/api/v1/org-levels", headers=reader))
    assert [lv | {"source": "default"} for lv in defaults] == levels
    assert {lv["source"] for lv in levels} == {"default"}
    # Another municipality's levels are not readable from a scope in Trosa; unknown is 404.
    other = await client.get(OXD_LEVELS, headers=reader)
    assert other.status_code == 403, other.text
    missing = await client.get("/api/v1/municipalities/nowhere/org-levels", headers=reader)
    assert missing.status_code == 404
    not_root = await client.get("/api/v1/municipalities/trosa-von/org-levels", headers=reader)
    assert not_root.status_code == 404


async def test_trosa_relabels_and_adds_levels_without_changing_what_oxelosund_sees(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    operator = _operator(tokens)
    trosa_admin = tokens.headers("admin", org_units=["trosa"], subject="trosa admin")
    oxd_levels = await _json(await client.get(OXD_LEVELS, headers=operator))
    oxd_units = await _json(
        await client.get(UNITS, params={"municipality": "oxelosund"}, headers=operator)
    )
    defaults = await _json(await client.get("/api/v1/org-levels", headers=operator))

    relabelled = await _json(
        await client.put(
            f"{TROSA_LEVELS}/department",
            json={"label": "Avdelning", "rank": 3},
            headers=trosa_admin,
        )
    )
    assert relabelled == {"key": "department", "label": "Avdelning", "rank": 3, "source": "own"}
    await _json(
        await client.put(
            f"{TROSA_LEVELS}/area", json={"label": "Område", "rank": 3}, headers=trosa_admin
        )
    )
    trosa_levels = await _json(await client.get(TROSA_LEVELS, headers=trosa_admin))
    by_key = {lv["key"]: (lv["label"], lv["source"]) for lv in trosa_levels}
    assert by_key["department"] == ("Avdelning", "own")
    assert by_key["area"] == ("Område", "own")
    assert by_key["committee"] == ("Nämnd", "default")
    assert [lv["rank"] for lv in trosa_levels] == sorted(lv["rank"] for lv in trosa_levels)

    # Trosa may put a unit on its new level.
    area = {"id": "trosa-norr", "code": "NORR", "name": "Område norr", "level": "area"}
    await _json(
        await client.post(UNITS, json=area | {"parent_id": "trosa-vof"}, headers=trosa_admin), 201
    )

    # Oxelösund sees exactly what it saw; the defaults are unchanged.
    assert await _json(await client.get(OXD_LEVELS, headers=operator)) == oxd_levels
    assert (
        await _json(await client.get(UNITS, params={"municipality": "oxelosund"}, headers=operator))
        == oxd_units
    )
    assert await _json(await client.get("/api/v1/org-levels", headers=operator)) == defaults

    # Both writes are in Trosa's settings history, none in Oxelösund's.
    history = await _json(
        await client.get(
            "/api/v1/municipalities/trosa/settings/history",
            params={"setting": "org_level"},
            headers=operator,
        )
    )
    assert sorted((h["key"], h["action"]) for h in history["items"]) == [
        ("area", "created"),
        ("department", "created"),
    ]
    oxd_history = await _json(
        await client.get(
            "/api/v1/municipalities/oxelosund/settings/history",
            params={"setting": "org_level"},
            headers=operator,
        )
    )
    assert oxd_history["items"] == []


async def test_a_level_only_trosa_has_is_refused_under_oxelosund(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    operator = _operator(tokens)
    await _json(
        await client.put(
            f"{TROSA_LEVELS}/area", json={"label": "Område", "rank": 3}, headers=operator
        )
    )
    unit = {"id": "oxelosund-norr", "code": "NORR", "name": "Norr", "level": "area"}
    refused = await client.post(UNITS, json=unit | {"parent_id": "oxelosund-von"}, headers=operator)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "body.level" in refused.text
    assert (await client.get(f"{UNITS}/oxelosund-norr", headers=operator)).status_code == 404
    # Nor may an Oxelösund unit be changed to it; a Trosa unit may.
    changed = await client.patch(f"{UNITS}/oxelosund-von", json={"level": "area"}, headers=operator)
    assert changed.status_code == 422, changed.text
    assert "body.level" in changed.text
    von = await _json(await client.get(f"{UNITS}/oxelosund-von", headers=operator))
    assert von["level"] == "committee"
    moved = await _json(
        await client.patch(f"{UNITS}/trosa-hemtjanst", json={"level": "area"}, headers=operator)
    )
    assert moved["level"] == "area"
    # A new municipality is checked against the defaults, not against Trosa's own levels.
    root = {"id": "nykoping", "code": "NYK", "name": "Nyköping", "level": "area"}
    refused_root = await client.post(UNITS, json=root, headers=operator)
    assert refused_root.status_code == 422, refused_root.text
    assert "body.level" in refused_root.text


async def test_an_own_level_is_deleted_only_while_no_unit_of_the_municipality_uses_it(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    trosa_admin = tokens.headers("admin", org_units=["trosa"])
    await _json(
        await client.put(
            f"{TROSA_LEVELS}/area", json={"label": "Område", "rank": 3}, headers=trosa_admin
        )
    )
    unit = {"id": "trosa-norr", "code": "NORR", "name": "Norr", "level": "area"}
    await _json(
        await client.post(UNITS, json=unit | {"parent_id": "trosa-vof"}, headers=trosa_admin), 201
    )
    used = await client.delete(f"{TROSA_LEVELS}/area", headers=trosa_admin)
    assert used.status_code == 409, used.text
    assert "area" in {
        lv["key"] for lv in await _json(await client.get(TROSA_LEVELS, headers=trosa_admin))
    }
    await _json(
        await client.patch(f"{UNITS}/trosa-norr", json={"level": "unit"}, headers=trosa_admin)
    )
    await _json(await client.delete(f"{TROSA_LEVELS}/area", headers=trosa_admin), 204)
    keys = {lv["key"] for lv in await _json(await client.get(TROSA_LEVELS, headers=trosa_admin))}
    assert "area" not in keys
    # A default cannot be deleted here (it is not Trosa's own); a gone level is 404.
    assert (await client.delete(f"{TROSA_LEVELS}/unit", headers=trosa_admin)).status_code == 404
    assert (await client.delete(f"{TROSA_LEVELS}/area", headers=trosa_admin)).status_code == 404


async def test_deleting_a_relabelling_brings_the_default_back(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    trosa_admin = tokens.headers("admin", org_units=["trosa"])
    await _json(
        await client.put(
            f"{TROSA_LEVELS}/department",
            json={"label": "Avdelning", "rank": 3},
            headers=trosa_admin,
        )
    )
    await _json(await client.delete(f"{TROSA_LEVELS}/department", headers=trosa_admin), 204)
    levels = await _json(await client.get(TROSA_LEVELS, headers=trosa_admin))
    assert {
        "key": "department",
        "label": "Verksamhetsområde",
        "rank": 3,
        "source": "default",
    } in levels


DELETE_SCOPES: dict[str, tuple[list[str], bool]] = {
    "root scope of the municipality": (["trosa"], True),
    "unit scope in the municipality": (["trosa-von"], False),
    "root scope of another municipality": (["oxelosund"], False),
    "unrestricted": ([], True),
}


@pytest.mark.parametrize("scope", list(DELETE_SCOPES))
async def test_deleting_an_own_level_needs_an_admin_on_the_municipality_root(
    client: AsyncClient, trosa: None, tokens: TokenFactory, scope: str
) -> None:
    operator = _operator(tokens)
    await _json(
        await client.put(
            f"{TROSA_LEVELS}/area", json={"label": "Område", "rank": 3}, headers=operator
        )
    )
    before = await _json(await client.get(TROSA_LEVELS, headers=operator))
    units, allowed = DELETE_SCOPES[scope]
    admin = tokens.headers("admin", org_units=units, subject=f"admin {scope}")
    response = await client.delete(f"{TROSA_LEVELS}/area", headers=admin)
    after = await _json(await client.get(TROSA_LEVELS, headers=operator))
    if allowed:
        assert response.status_code == 204, response.text
        assert after != before
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert after == before


async def test_a_controller_on_the_root_may_not_write_levels(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    controller = tokens.headers("controller", org_units=["trosa"])
    response = await client.put(
        f"{TROSA_LEVELS}/area", json={"label": "Område", "rank": 3}, headers=controller
    )
    assert response.status_code == 403, response.text


@pytest.mark.postgresql_only
async def test_a_level_removed_while_units_are_created_with_it_never_leaves_them_without_one(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    """Removal and unit creation race on PostgreSQL; whatever order they land in, every unit's
    level is one of its municipality's effective levels afterwards."""
    trosa_admin = tokens.headers("admin", org_units=["trosa"], subject="trosa admin")
    for round_ in range(10):
        key = f"team{round_}"
        await _json(
            await client.put(
                f"{TROSA_LEVELS}/{key}", json={"label": "Team", "rank": 5}, headers=trosa_admin
            )
        )
        unit = {
            "id": f"trosa-team-{round_}",
            "code": f"T{round_}",
            "name": "Team",
            "level": key,
            "parent_id": "trosa-von",
        }
        created, removed = await asyncio.gather(
            client.post(UNITS, json=unit, headers=trosa_admin),
            client.delete(f"{TROSA_LEVELS}/{key}", headers=trosa_admin),
        )
        # exactly one of them wins: the unit (and the removal is 409) or the removal (422)
        assert sorted([created.status_code, removed.status_code]) in ([201, 409], [204, 422]), (
            created.text,
            removed.text,
        )
    levels = {lv["key"] for lv in await _json(await client.get(TROSA_LEVELS, headers=trosa_admin))}
    units = await _json(
        await client.get(UNITS, params={"municipality": "trosa", "limit": 500}, headers=trosa_admin)
    )
    assert {unit["level"] for unit in units["items"]} <= levels
