"""Municipalities as tenants in the org tree: each unit knows its municipality, codes are
unique within one, units never leave theirs, org and settings writes need a scope that covers
what they change (the permission matrix), and lookups by code never guess."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_goals.demo.steering import CONFIG
from styr_goals.orgunits import service as orgunits
from styr_shared.errors import InvalidFieldError
from styr_shared.testing import TokenFactory

UNITS = "/api/v1/org-units"


def _operator(tokens: TokenFactory) -> dict[str, str]:
    """The deployment's operator: an admin without an org scope."""
    return tokens.headers("admin", subject="operator")


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# --- the municipality of each unit -------------------------------------------------------


async def test_every_unit_knows_its_municipality_and_the_feed_says_it(
    client: AsyncClient, oxelosund: None, tokens: TokenFactory
) -> None:
    operator = _operator(tokens)
    root = {"id": "trosa", "code": "TRS", "name": "Trosa kommun", "level": "municipality"}
    created = await _json(await client.post(UNITS, json=root, headers=operator), 201)
    assert created["municipality_id"] == "trosa"
    von = {
        "id": "trosa-von",
        "code": "VON",
        "name": "Vård- och omsorgsnämnden",
        "level": "committee",
        "parent_id": "trosa",
    }
    committee = await _json(await client.post(UNITS, json=von, headers=operator), 201)
    vof = {"id": "trosa-vof", "code": "VOF", "name": "VOF", "level": "administration"}
    below = await _json(
        await client.post(UNITS, json=vof | {"parent_id": "trosa-von"}, headers=operator), 201
    )
    assert committee["municipality_id"] == below["municipality_id"] == "trosa"
    oxd_von = await _json(await client.get(f"{UNITS}/oxelosund-von", headers=operator))
    assert (oxd_von["code"], oxd_von["municipality_id"]) == ("VON", "oxelosund")

    feed = await _json(await client.get(f"{UNITS}/changes", headers=operator))
    after = {item["unit_id"]: item["after"] for item in feed["items"]}
    assert after["trosa"]["municipality_id"] == "trosa"
    assert after["trosa-vof"]["municipality_id"] == "trosa"


async def test_codes_are_unique_within_a_municipality_only(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    operator = _operator(tokens)
    again = {"code": "VON", "name": "Dubblett", "level": "committee"}
    in_trosa = await client.post(UNITS, json=again | {"parent_id": "trosa"}, headers=operator)
    assert in_trosa.status_code == 409
    root_again = {"code": "TRS", "name": "Trosa igen", "level": "municipality"}
    assert (await client.post(UNITS, json=root_again, headers=operator)).status_code == 409
    # A unit of Oxelösund may take a code only Trosa has, and a new municipality a code no
    # other municipality has, even one a unit somewhere uses.
    sabo2 = {"code": "TRS", "name": "T", "level": "unit", "parent_id": "oxelosund-ao"}
    assert (await client.post(UNITS, json=sabo2, headers=operator)).status_code == 201
    vingaker = {"id": "vingaker", "code": "VON", "name": "Vingåker", "level": "municipality"}
    assert (await client.post(UNITS, json=vingaker, headers=operator)).status_code == 201
    # Renaming to a code the municipality already has is refused, naming the field.
    clash = await client.patch(f"{UNITS}/trosa-ks", json={"code": "VON"}, headers=operator)
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["field"] == "body.code"
    # A municipality's code must not clash with another municipality's, nor its own units'.
    for code in ("OXD", "HT"):
        renamed = await client.patch(f"{UNITS}/trosa", json={"code": code}, headers=operator)
        assert renamed.status_code == 422, code


async def test_a_unit_never_leaves_its_municipality(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    operator = _operator(tokens)

    async def refused(unit: str, body: dict[str, Any], field: str) -> None:
        response = await client.patch(f"{UNITS}/{unit}", json=body, headers=operator)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field

    await refused("trosa-vof", {"parent_id": "oxelosund-von"}, "body.parent_id")
    await refused("trosa-vof", {"parent_id": None}, "body.parent_id")  # a new root
    await refused("trosa", {"parent_id": "oxelosund"}, "body.parent_id")
    await refused("trosa-vof", {"successor_id": "oxelosund-vof"}, "body.successor_id")
    history = await _json(await client.get(f"{UNITS}/trosa-vof/history", headers=operator))
    assert [change["kind"] for change in history] == []  # rows made by the fixture: no feed

    moved = await client.patch(
        f"{UNITS}/trosa-sabo", json={"parent_id": "trosa-von"}, headers=operator
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["parent_id"], moved.json()["municipality_id"]) == ("trosa-von", "trosa")


# --- municipalities ----------------------------------------------------------------------


async def test_municipalities_are_listed_for_the_caller(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    def ids(items: list[dict[str, Any]]) -> list[str]:
        return [item["id"] for item in items]

    listing = "/api/v1/municipalities"
    everyone = await _json(await client.get(listing, headers=_operator(tokens)))
    assert ids(everyone) == ["oxelosund", "trosa"]
    assert everyone[1] == {
        "id": "trosa",
        "code": "TRS",
        "name": "Trosa kommun",
        "kolada_id": "0488",
        "valid_from": None,
        "valid_to": None,
    }
    trosa_planner = tokens.headers("planner", org_units=["trosa-von"])
    assert ids(await _json(await client.get(listing, headers=trosa_planner))) == ["trosa"]
    both = tokens.headers("reader", org_units=["trosa-sabo", "oxelosund-ks"])
    assert ids(await _json(await client.get(listing, headers=both))) == ["oxelosund", "trosa"]
    # a token without org units reads deployment-wide (a statistics export, say)
    deployment_reader = tokens.headers("reader")
    assert ids(await _json(await client.get(listing, headers=deployment_reader))) == [
        "oxelosund",
        "trosa",
    ]

    one = await _json(await client.get(f"{listing}/trosa", headers=trosa_planner))
    assert one["code"] == "TRS"
    oxd_reader = tokens.headers("reader", org_units=["oxelosund-von"])
    assert (await client.get(f"{listing}/trosa", headers=oxd_reader)).status_code == 403
    operator = _operator(tokens)
    assert (await client.get(f"{listing}/nowhere", headers=operator)).status_code == 404
    assert (await client.get(f"{listing}/trosa-von", headers=operator)).status_code == 404


async def test_steering_config_writes_are_kept_in_the_municipalitys_history(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    trosa_admin = tokens.headers("admin", org_units=["trosa"], subject="trosa-admin")
    url = "/api/v1/municipalities/trosa/steering-config"
    document = CONFIG.model_dump(mode="json")
    before = await _json(await client.get(url, headers=trosa_admin))
    await _json(await client.put(url, json=document, headers=trosa_admin))
    await _json(await client.put(url, json=document, headers=trosa_admin))  # no change

    history = await _json(
        await client.get("/api/v1/municipalities/trosa/settings/history", headers=trosa_admin)
    )
    changes = [c for c in history["items"] if c["changed_by"] == "trosa-admin"]
    assert len(changes) == 1
    change = changes[0]
    assert (change["setting"], change["action"]) == ("steering_config", "updated")
    assert change["before"] == before["document"]
    assert change["after"] == document
    oxd = await _json(
        await client.get(
            "/api/v1/municipalities/oxelosund/settings/history", headers=_operator(tokens)
        )
    )
    assert all(c["changed_by"] != "trosa-admin" for c in oxd["items"])
    # Trosa's admin does not read Oxelösund's history.
    denied = await client.get(
        "/api/v1/municipalities/oxelosund/settings/history", headers=trosa_admin
    )
    assert denied.status_code == 403


# --- lookups by code ---------------------------------------------------------------------


async def test_a_code_filter_looks_in_the_callers_municipality_and_never_guesses(
    client: AsyncClient, trosa: None, tokens: TokenFactory
) -> None:
    async def found(headers: dict[str, str], **params: str) -> list[str]:
        page = await _json(await client.get(UNITS, params=params, headers=headers))
        return [unit["id"] for unit in page["items"]]

    trosa_reader = tokens.headers("reader", org_units=["trosa"])
    assert await found(trosa_reader, code="VON") == ["trosa-von"]
    oxd_reader = tokens.headers("reader", org_units=["oxelosund-sabo"])
    assert await found(oxd_reader, code="VON") == ["oxelosund-von"]
    operator = _operator(tokens)
    assert await found(operator, code="VON", municipality="trosa") == ["trosa-von"]
    assert await found(operator, code="OXD") == ["oxelosund"]  # only one municipality has it
    assert len(await found(operator, municipality="trosa")) == 6

    for headers in (operator, tokens.headers("reader")):
        ambiguous = await client.get(UNITS, params={"code": "VON"}, headers=headers)
        assert ambiguous.status_code == 422
        error = ambiguous.json()["errors"][0]
        assert error["field"] == "query.code"
        assert "oxelosund, trosa" in error["message"]
    unknown = await client.get(UNITS, params={"municipality": "nowhere"}, headers=operator)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.municipality"


async def test_find_unit_resolves_a_code_within_the_given_municipalities(
    app: FastAPI, trosa: None
) -> None:
    async with app.state.database.session() as session:
        unit = await orgunits.find_unit(session, "VON", {"trosa"})
        assert unit is not None
        assert unit.id == "trosa-von"
        by_id = await orgunits.find_unit(session, "oxelosund-von", {"trosa"})
        assert by_id is not None
        assert by_id.id == "oxelosund-von"
        assert await orgunits.find_unit(session, "IFO", {"trosa"}) is None
        with pytest.raises(InvalidFieldError) as raised:
            await orgunits.find_unit(session, "VON", None, field="body.org_unit")
        assert raised.value.errors
        assert raised.value.errors[0].field == "body.org_unit"


# --- the permission matrix ---------------------------------------------------------------

SCOPES: dict[str, list[str]] = {
    "root scope of the municipality": ["oxelosund"],
    "unit scope in the municipality": ["oxelosund-von"],
    "root scope of another municipality": ["trosa"],
    "unrestricted": [],
}
ALLOWED_FOR_ROOT = {
    "root scope of the municipality": True,
    "unit scope in the municipality": False,
    "root scope of another municipality": False,
    "unrestricted": True,
}
# Creating a municipality and the org levels concern every municipality of the deployment:
# only its operator (an admin without an org scope) writes them.
OPERATOR_ONLY = {scope: scope == "unrestricted" for scope in SCOPES}


@dataclass(frozen=True)
class Write:
    method: str
    url: str
    body: dict[str, Any]
    allowed: dict[str, bool]
    # The state the write changes, read by the operator: equal before and after a refusal.
    state: Callable[[AsyncClient, dict[str, str]], Awaitable[Any]]


async def _get(client: AsyncClient, headers: dict[str, str], url: str) -> Any:
    response = await client.get(url, headers=headers)
    if response.status_code != 200:
        return response.status_code  # a problem document carries its request's id
    return response.status_code, response.json()


WRITES: dict[str, Write] = {
    "steering config": Write(
        "PUT",
        "/api/v1/municipalities/oxelosund/steering-config",
        CONFIG.model_dump(mode="json")
        | {"result_levels": [{"min_percent": 0, "label": "Ny skala"}]},
        ALLOWED_FOR_ROOT,
        lambda c, h: _get(c, h, "/api/v1/municipalities/oxelosund/steering-config"),
    ),
    "org unit create": Write(
        "POST",
        UNITS,
        {"id": "oxelosund-bn", "code": "BN", "name": "Byggnadsnämnden", "level": "committee"}
        | {"parent_id": "oxelosund"},
        ALLOWED_FOR_ROOT,
        lambda c, h: _get(c, h, f"{UNITS}/oxelosund-bn"),
    ),
    "org unit update": Write(
        "PATCH",
        f"{UNITS}/oxelosund-ks",
        {"name": "Kommunstyrelsen i Oxelösund", "code": "KS1"},
        ALLOWED_FOR_ROOT,
        lambda c, h: _get(c, h, f"{UNITS}/oxelosund-ks"),
    ),
    "municipality create": Write(
        "POST",
        UNITS,
        {"id": "nykoping", "code": "NYK", "name": "Nyköpings kommun", "level": "municipality"},
        OPERATOR_ONLY,
        lambda c, h: _get(c, h, "/api/v1/municipalities"),
    ),
    "municipality org level": Write(
        "PUT",
        "/api/v1/municipalities/oxelosund/org-levels/area",
        {"label": "Område", "rank": 3},
        ALLOWED_FOR_ROOT,
        lambda c, h: _get(c, h, "/api/v1/municipalities/oxelosund/org-levels"),
    ),
    "municipality org level relabel": Write(
        "PUT",
        "/api/v1/municipalities/oxelosund/org-levels/department",
        {"label": "Avdelning", "rank": 3},
        ALLOWED_FOR_ROOT,
        lambda c, h: _get(c, h, "/api/v1/municipalities/oxelosund/org-levels"),
    ),
    "org level": Write(
        "PUT",
        "/api/v1/org-levels/committee",
        {"label": "Nämnd och styrelse", "rank": 1},
        OPERATOR_ONLY,
        lambda c, h: _get(c, h, "/api/v1/org-levels"),
    ),
}


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("write", list(WRITES))
async def test_settings_and_org_writes_need_a_scope_covering_what_they_change(
    client: AsyncClient, trosa: None, tokens: TokenFactory, write: str, scope: str
) -> None:
    case = WRITES[write]
    operator = _operator(tokens)
    before = await case.state(client, operator)
    admin = tokens.headers("admin", org_units=SCOPES[scope], subject=f"admin {scope}")
    response = await client.request(case.method, case.url, json=case.body, headers=admin)
    after = await case.state(client, operator)
    if case.allowed[scope]:
        assert response.status_code in (200, 201), response.text
        assert after != before
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert after == before


async def test_a_unit_scoped_admin_changes_its_own_subtree_only(
    client: AsyncClient, oxelosund: None, tokens: TokenFactory
) -> None:
    von_admin = tokens.headers("admin", org_units=["oxelosund-von"])
    unit = {"id": "oxelosund-dv", "code": "DV", "name": "Daglig verksamhet", "level": "unit"}
    created = await client.post(UNITS, json=unit | {"parent_id": "oxelosund-so"}, headers=von_admin)
    assert created.status_code == 201, created.text
    renamed = await client.patch(
        f"{UNITS}/oxelosund-dv", json={"name": "Daglig verksamhet LSS"}, headers=von_admin
    )
    assert renamed.status_code == 200
    # Moving it out of the subtree needs a scope on the new parent too.
    out = await client.patch(
        f"{UNITS}/oxelosund-dv", json={"parent_id": "oxelosund-ks"}, headers=von_admin
    )
    assert out.status_code == 403
