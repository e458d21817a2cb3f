"""Two municipalities in one deployment: who may write a municipality's settings, that nothing
Trosa's admin does changes what Oxelösund sees, the settings history, lists, statistics,
imports and the access log per municipality, and org units the replica meets for the first
time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS
from styr_deviations.config import LOCAL_TIME
from styr_deviations.testing import create, deviation
from styr_shared.db import Database
from styr_shared.orgreplica.sync import ReplicaRefresher, _refreshers, register_refresher
from styr_shared.testing import TokenFactory, seed_org_replica

YEAR = datetime.now(LOCAL_TIME).year
DEFAULTS: dict[str, Any] = NATIONAL_DEFAULTS.model_dump(mode="json")
M = "/api/v1/municipalities"

# Every settings write of the service: (method, path, body). The DELETE needs a change to take
# back, which the test makes first.
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", "/case-settings", DEFAULTS | {"reference_format": "AVV {year}-{n}"}),
    ("PUT", "/categories/nattillsyn", {"label": "Nattillsyn", "group": "deviation"}),
    ("PUT", "/categories/fall", {"label": "Fallolycka", "valid_to_year": 2030}),
    ("DELETE", "/categories/lakemedel", None),
]
WHO: list[tuple[str, str, list[str], bool]] = [
    ("the municipality's admin", "admin", ["oxelosund"], True),
    ("the operator", "admin", [], True),
    ("a unit's admin", "admin", ["oxelosund-von"], False),
    ("another municipality's admin", "admin", ["trosa"], False),
    ("a case handler of the whole municipality", "case_handler", ["oxelosund"], False),
]


async def send(
    client: AsyncClient, method: str, url: str, body: Any, headers: dict[str, str]
) -> Any:
    return await client.request(method, url, json=body, headers=headers)


async def history(client: AsyncClient, municipality: str, headers: dict[str, str]) -> list[Any]:
    response = await client.get(f"{M}/{municipality}/settings/history", headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


@pytest.mark.parametrize(("who", "role", "scope", "allowed"), WHO, ids=[w[0] for w in WHO])
@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{w[0]} {w[1]}" for w in WRITES])
async def test_settings_writes_need_an_admin_of_the_municipality_root(
    client: AsyncClient,
    both: None,
    tokens: TokenFactory,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    who: str,
    role: str,
    scope: list[str],
    allowed: bool,
) -> None:
    url = f"{M}/oxelosund{path}"
    if method == "DELETE":  # a change to take back
        arranged = await client.put(url, json={"label": "Medicin"}, headers=admin)
        assert arranged.status_code == 200, arranged.text
    before = await history(client, "oxelosund", admin)
    headers = tokens.headers(role, org_units=scope, subject=f"caller-{who}")
    response = await send(client, method, url, body, headers)
    after = await history(client, "oxelosund", admin)
    if allowed:
        assert response.status_code in (200, 204), response.text
        assert len(after) == len(before) + 1
        assert after[-1]["changed_by"] == f"caller-{who}"
    else:
        assert response.status_code == 403, response.text
        assert after == before


async def test_nothing_trosas_admin_does_changes_what_oxelosund_sees(
    client: AsyncClient, both: None, tokens: TokenFactory, handler: dict[str, str]
) -> None:
    trosa_admin = tokens.headers("admin", org_units=["trosa"], subject="admin-trosa")
    oxelosund_admin = tokens.headers("admin", org_units=["oxelosund"])
    oxelosund_reader = tokens.headers("reader", org_units=["oxelosund"])
    first = await create(client, handler)
    assert first["reference_number"] == f"VON.{YEAR}.1"

    async def what_oxelosund_sees() -> dict[str, Any]:
        reads = {
            "categories": (f"{M}/oxelosund/categories", oxelosund_admin),
            "categories of 2025": (f"{M}/oxelosund/categories?year=2025", handler),
            "national list": ("/api/v1/categories?year=2025", handler),
            "settings": (f"{M}/oxelosund/case-settings", oxelosund_admin),
            "history": (f"{M}/oxelosund/settings/history", oxelosund_admin),
            "risk matrix": ("/api/v1/risk-matrix", handler),
            "statistics": ("/api/v1/statistics", oxelosund_reader),
            "statistics (case access)": ("/api/v1/statistics", handler),
            "cases": ("/api/v1/cases", oxelosund_admin),
        }
        seen = {}
        for name, (url, headers) in reads.items():
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, (name, response.text)
            seen[name] = response.json()
        return seen

    before = await what_oxelosund_sees()

    # Trosa's admin does all it may in Trosa ...
    trosa_settings = DEFAULTS | {
        "reference_format": "SN {year}/{n}",
        "intake_unit_id": "trosa-vof",
        "suppression_threshold": 3,
        "deadlines": DEFAULTS["deadlines"] | {"feedback": {"milestone": "answered", "days": 10}},
    }
    writes = [
        ("PUT", f"{M}/trosa/case-settings", trosa_settings),
        ("PUT", f"{M}/trosa/categories/nattillsyn", {"label": "Nattillsyn", "group": "deviation"}),
        ("PUT", f"{M}/trosa/categories/fall", {"label": "Fallolycka"}),
        ("PUT", f"{M}/trosa/categories/lakemedel", {"valid_to_year": 2024}),
        ("DELETE", f"{M}/trosa/categories/fall", None),
        ("PUT", f"{M}/trosa/case-settings", trosa_settings | {"suppression_threshold": 4}),
    ]
    for method, url, body in writes:
        response = await send(client, method, url, body, trosa_admin)
        assert response.status_code in (200, 204), (url, response.text)
    registered = [
        await create(client, trosa_admin, org_unit_id="trosa-sabo", category="nattillsyn")
        for _ in range(3)
    ]
    assert [c["reference_number"] for c in registered] == [f"SN {YEAR}/{n}" for n in (1, 2, 3)]
    intake = await client.post(
        "/api/v1/public/trosa/feedback", json={"message": "Tack för hjälpen", "anonymous": True}
    )
    assert intake.status_code == 201, intake.text
    assert intake.json()["reference_number"] == f"SN {YEAR}/4"

    # ... and what it may not do in Oxelösund is refused
    for method, path, body in WRITES:
        refused = await send(client, method, f"{M}/oxelosund{path}", body, trosa_admin)
        assert refused.status_code == 403, (path, refused.text)
    elsewhere = await client.post("/api/v1/cases", json=deviation(), headers=trosa_admin)
    assert elsewhere.status_code == 403
    foreign = await client.get(f"/api/v1/cases/{first['id']}", headers=trosa_admin)
    assert foreign.status_code == 403
    assert (
        await client.get(f"{M}/oxelosund/settings/history", headers=trosa_admin)
    ).status_code == 403
    smuggled = await client.post(
        "/api/v1/public/trosa/feedback",
        json={"message": "Hej", "anonymous": True, "org_unit_id": "oxelosund-sabo"},
    )
    assert smuggled.status_code == 422

    assert await what_oxelosund_sees() == before
    assert (await create(client, handler))["reference_number"] == f"VON.{YEAR}.2"

    # Trosa's history lists each write, with the state before and after
    trosa_history = await history(client, "trosa", trosa_admin)
    assert [(h["setting"], h["key"], h["action"]) for h in trosa_history] == [
        ("case_settings", "document", "created"),
        ("category", "nattillsyn", "created"),
        ("category", "fall", "created"),
        ("category", "lakemedel", "created"),
        ("category", "fall", "deleted"),
        ("case_settings", "document", "updated"),
    ]
    assert {h["changed_by"] for h in trosa_history} == {"admin-trosa"}
    assert trosa_history[0]["before"] is None
    assert trosa_history[0]["after"]["reference_format"] == "SN {year}/{n}"
    assert trosa_history[3]["after"]["valid_to_year"] == 2024
    assert trosa_history[4]["before"]["label"] == "Fallolycka"
    assert trosa_history[4]["after"] is None
    assert trosa_history[5]["before"]["suppression_threshold"] == 3
    assert trosa_history[5]["after"]["suppression_threshold"] == 4
    only = await client.get(
        f"{M}/trosa/settings/history", params={"setting": "category"}, headers=trosa_admin
    )
    assert len(only.json()["items"]) == 4


async def test_lists_and_statistics_with_two_municipalities(
    client: AsyncClient,
    both: None,
    tokens: TokenFactory,
    handler: dict[str, str],
    admin: dict[str, str],
) -> None:
    trosa_handler = tokens.headers("case_handler", org_units=["trosa"])
    for _ in range(2):
        await create(client, handler)
    for _ in range(3):
        await create(client, trosa_handler, org_unit_id="trosa-sabo")

    async def listed(headers: dict[str, str], **params: Any) -> list[str]:
        response = await client.get("/api/v1/cases", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(c["municipality_id"] for c in response.json()["items"])

    assert await listed(admin) == ["oxelosund"] * 2 + ["trosa"] * 3  # the operator
    assert await listed(admin, municipality="trosa") == ["trosa"] * 3
    assert await listed(trosa_handler) == ["trosa"] * 3
    assert await listed(trosa_handler, municipality="oxelosund") == []
    assert await listed(handler, org_unit_id="oxelosund") == ["oxelosund"] * 2

    async def statistics(headers: dict[str, str], **params: Any) -> Any:
        return await client.get("/api/v1/statistics", params=params, headers=headers)

    operator_staff = admin  # the operator sees every municipality, unsuppressed
    everything = (await statistics(operator_staff)).json()
    assert everything["total"] == 5
    subtrees = {r["org_unit_id"]: r["count"] for r in everything["by_org_subtree"]}
    assert (subtrees["oxelosund"], subtrees["trosa"]) == (2, 3)
    assert (await statistics(operator_staff, municipality="trosa")).json()["total"] == 3
    assert (await statistics(operator_staff, org_unit_id="trosa-von")).json()["total"] == 3
    trosa_reader = tokens.headers("reader", org_units=["trosa"])
    assert (await statistics(trosa_reader, municipality="oxelosund")).status_code == 403
    assert (await statistics(trosa_reader, municipality="nowhere")).status_code == 422
    # a unit the service does not know is not a unit with no cases
    for headers in (trosa_reader, operator_staff):
        assert (await statistics(headers, org_unit_id="trosa-nowhere")).status_code == 404
    unknown = await client.get("/api/v1/cases", params={"org_unit_id": "x-1"}, headers=admin)
    assert unknown.status_code == 404
    matrix = await client.get("/api/v1/risk-matrix", headers=admin)
    assert matrix.status_code == 422  # the operator must say which municipality's
    assert matrix.json()["errors"][0]["field"] == "query.municipality"
    named = await client.get("/api/v1/risk-matrix", params={"municipality": "trosa"}, headers=admin)
    assert named.status_code == 200


async def test_imports_keep_each_municipalitys_ids_and_series(
    client: AsyncClient, both: None, tokens: TokenFactory, admin: dict[str, str]
) -> None:
    trosa_admin = tokens.headers("admin", org_units=["trosa"])
    stored = await client.put(
        f"{M}/trosa/case-settings",
        json=DEFAULTS | {"reference_format": "SN {year}/{n}"},
        headers=trosa_admin,
    )
    assert stored.status_code == 200, stored.text
    importer = tokens.headers("importer", org_units=["oxelosund", "trosa"])
    row = {
        "kind": "deviation",
        "law_area": "HSL",
        "category": "fall",
        "reported_at": "2021-03-04T10:00:00+01:00",
        "description": "Fall",
    }
    rows = [
        row | {"external_id": "T-1", "org_unit_id": "oxelosund-sabo"},
        row | {"external_id": "T-1", "org_unit_id": "trosa-sabo"},
        row | {"external_id": "T-2", "org_unit_id": "trosa-hemtjanst"},
        row | {"external_id": "T-3", "org_unit_id": "oxelosund-sabo", "reference_number": "A-30"},
        row | {"external_id": "T-3", "org_unit_id": "trosa-sabo", "reference_number": "A-30"},
        row | {"external_id": "T-4", "org_unit_id": "trosa-sabo", "reference_number": "A-30"},
    ]
    first = await client.post("/api/v1/cases/import", json={"rows": rows}, headers=importer)
    assert first.status_code == 200, first.text
    result = first.json()
    assert (result["created"], result["unchanged"], result["failed"]) == (5, 0, 1)
    assert [(e["external_id"], e["errors"][0]["field"]) for e in result["errors"]] == [
        ("T-4", "reference_number")  # A-30 is taken in Trosa (not because of Oxelösund's)
    ]
    again = (
        await client.post("/api/v1/cases/import", json={"rows": rows}, headers=importer)
    ).json()
    assert (again["created"], again["unchanged"]) == (0, 5)
    cases = (await client.get("/api/v1/cases", headers=admin)).json()["items"]
    numbers = sorted((c["municipality_id"], c["external_id"], c["reference_number"]) for c in cases)
    assert numbers == [
        ("oxelosund", "T-1", "VON.2021.1"),
        ("oxelosund", "T-3", "A-30"),
        ("trosa", "T-1", "SN 2021/1"),
        ("trosa", "T-2", "SN 2021/2"),
        ("trosa", "T-3", "A-30"),
    ]


async def test_a_municipalitys_admin_reads_its_own_access_log(
    client: AsyncClient,
    both: None,
    tokens: TokenFactory,
    handler: dict[str, str],
    admin: dict[str, str],
) -> None:
    trosa_handler = tokens.headers("case_handler", org_units=["trosa"], subject="ec-trosa")
    person = {"name": "Testperson", "personnummer": "19121212-1212"}
    for headers, unit in ((handler, "oxelosund-sabo"), (trosa_handler, "trosa-sabo")):
        case = await create(client, headers, org_unit_id=unit, person=person)
        read = await client.get(
            f"/api/v1/cases/{case['id']}/personal-data",
            params={"reason": "utredning"},
            headers=headers,
        )
        assert read.status_code == 200, read.text

    search = {"personnummer": "19121212-1212", "reason": "utredning"}
    for headers, municipality in ((handler, "oxelosund"), (trosa_handler, "trosa")):
        found = await client.post("/api/v1/cases/search-by-person", json=search, headers=headers)
        assert [c["municipality_id"] for c in found.json()] == [municipality]

    async def actors(headers: dict[str, str]) -> list[str]:
        response = await client.get("/api/v1/personal-data-access", headers=headers)
        assert response.status_code == 200, response.text
        return sorted(entry["actor"] for entry in response.json()["items"])

    assert await actors(tokens.headers("admin", org_units=["trosa"])) == ["ec-trosa"] * 2
    assert await actors(tokens.headers("admin", org_units=["oxelosund"])) == ["ec-sabo"] * 2
    assert await actors(admin) == ["ec-sabo"] * 2 + ["ec-trosa"] * 2
    rotate = "/api/v1/personal-data/re-encrypt"
    trosa_admin = tokens.headers("admin", org_units=["trosa"])
    assert (await client.post(rotate, headers=trosa_admin)).status_code == 403
    assert (await client.post(rotate, headers=admin)).status_code == 200


class FeedOnMiss(ReplicaRefresher):
    """Stands in for the goals service's feed: a miss 'pulls' the units waiting in it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.waiting: list[tuple[str, str, str, str, str | None]] = []
        self.pulls = 0

    async def refresh(self) -> None:
        self.pulls += 1
        if self.waiting:
            await seed_org_replica(self.database, self.waiting)
            self.waiting = []


@pytest.fixture
async def feed(app: FastAPI) -> AsyncIterator[FeedOnMiss]:
    refresher = FeedOnMiss(app.state.database)
    register_refresher(app.state.database, refresher)
    yield refresher
    _refreshers.pop(app.state.database.engine, None)


async def test_a_unit_created_a_moment_ago_is_usable_at_once(
    client: AsyncClient, org: None, tokens: TokenFactory, feed: FeedOnMiss
) -> None:
    handler = tokens.headers("case_handler", org_units=["oxelosund-ao"])
    feed.waiting = [("oxelosund-dagverksamhet", "DV", "Dagverksamhet", "unit", "oxelosund-ao")]
    created = await client.post(
        "/api/v1/cases", json=deviation(org_unit_id="oxelosund-dagverksamhet"), headers=handler
    )
    assert created.status_code == 201, created.text
    assert created.json()["municipality_id"] == "oxelosund"
    assert feed.pulls == 1
    statistics = await client.get(
        "/api/v1/statistics", params={"org_unit_id": "oxelosund-dagverksamhet"}, headers=handler
    )
    assert statistics.json()["total"] == 1
    assert feed.pulls == 1  # known now
    missing = await client.get(
        "/api/v1/statistics", params={"org_unit_id": "oxelosund-finns-inte"}, headers=handler
    )
    assert missing.status_code == 404
    assert feed.pulls == 2  # looked for before answering "unknown"


async def test_an_import_pulls_the_feed_at_most_once(
    client: AsyncClient, org: None, tokens: TokenFactory, feed: FeedOnMiss
) -> None:
    importer = tokens.headers("importer", org_units=["oxelosund"])
    feed.waiting = [("oxelosund-ny", "NY", "Ny enhet", "unit", "oxelosund-ao")]
    row = {
        "kind": "deviation",
        "law_area": "HSL",
        "reported_at": "2024-03-04T10:00:00+01:00",
        "description": "Fall",
    }
    rows = [row | {"external_id": f"N-{n}", "org_unit_id": "oxelosund-ny"} for n in range(3)]
    rows += [row | {"external_id": f"G-{n}", "org_unit_id": "oxelosund-gone"} for n in range(3)]
    response = await client.post("/api/v1/cases/import", json={"rows": rows}, headers=importer)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created_ids"] == ["N-0", "N-1", "N-2"]
    assert {(e["external_id"], e["errors"][0]["message"]) for e in result["errors"]} == {
        (f"G-{n}", "unknown org unit") for n in range(3)
    }
    assert feed.pulls == 1
