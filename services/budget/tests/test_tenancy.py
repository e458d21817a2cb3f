"""Two municipalities in one budget service: who may write each one's settings (the
permission matrix), and that nothing Trosa's controller or an operator does in Trosa changes
what Oxelösund sees, codes equal across municipalities included; every write in the history."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient, Response

from styr_shared.testing import TokenFactory

OXELOSUND = "/api/v1/municipalities/oxelosund"
TROSA = "/api/v1/municipalities/trosa"
SETTING_LISTS = [
    "fiscal-years",
    "activity-codes",
    "account-groups",
    "periodisation-keys",
    "account-mappings",
    "object-mappings",
]
CSV_HEADER = "period;org_unit_id;activity_code;account_group;amount\n"


@pytest.fixture
def oxelosund_reader(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("reader", org_units=["oxelosund-von"], subject="ox-reader")


@pytest.fixture
def trosa_controller(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("controller", org_units=["trosa"], subject="trosa-controller")


# Every budget settings write, on Oxelösund: (method, path under the municipality, body).
# ``{mapping}`` is the id of Oxelösund's 3000–3099 account mapping (a demo row).
WRITES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "fiscal year": ("PUT", "/fiscal-years/2026", {"follow_up_months": [4, 8, 12]}),
    "activity code": ("PUT", "/activity-codes/55", {"name": "Äldreomsorg"}),
    "account group": (
        "PUT",
        "/account-groups/personalkostnader",
        {"name": "Personal", "kind": "cost", "sort_order": 60},
    ),
    "periodisation key": (
        "PUT",
        "/periodisation-keys/semester",
        {"name": "S", "weights": [1] * 12},
    ),
    "new account mapping": (
        "POST",
        "/account-mappings",
        {"account_from": 9000, "account_to": 9099, "account_group": "ovriga_kostnader"},
    ),
    "removed account mapping": ("DELETE", "/account-mappings/{mapping}", None),
    "object mapping": ("PUT", "/object-mappings/1/7999", {"org_unit_id": "oxelosund-sabo"}),
    "removed object mapping": ("DELETE", "/object-mappings/1/7210", None),
}
# Who writes, and whether Oxelösund's settings are theirs to write.
CALLERS: dict[str, tuple[str, list[str], bool]] = {
    "controller on Oxelösund's root": ("controller", ["oxelosund"], True),
    "admin on Oxelösund's root": ("admin", ["oxelosund"], True),
    "unrestricted admin (the operator)": ("admin", [], True),
    "controller on a unit of Oxelösund": ("controller", ["oxelosund-von"], False),
    "admin on a unit of Oxelösund": ("admin", ["oxelosund-ao"], False),
    "controller on Trosa's root": ("controller", ["trosa"], False),
    "admin on Trosa's root": ("admin", ["trosa"], False),
    "reader on Oxelösund's root": ("reader", ["oxelosund"], False),
}


async def send(
    client: AsyncClient, method: str, url: str, headers: dict[str, str], body: Any = None
) -> Response:
    return await client.request(method, url, json=body, headers=headers)


async def settings_of(
    client: AsyncClient, base: str, headers: dict[str, str]
) -> dict[str, list[Any]]:
    found = {}
    for name in SETTING_LISTS:
        response = await client.get(f"{base}/{name}", headers=headers)
        assert response.status_code == 200, response.text
        found[name] = response.json()
    return found


async def history(client: AsyncClient, base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/settings/history", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("write", sorted(WRITES))
async def test_permission_matrix_of_every_settings_write(
    client: AsyncClient,
    tokens: TokenFactory,
    oxelosund_reader: dict[str, str],
    write: str,
    caller: str,
) -> None:
    method, path, body = WRITES[write]
    role, scope, allowed = CALLERS[caller]
    mappings = (await client.get(f"{OXELOSUND}/account-mappings", headers=oxelosund_reader)).json()
    mapping = next(m["id"] for m in mappings if m["account_from"] == 3000)
    before = await settings_of(client, OXELOSUND, oxelosund_reader)

    headers = tokens.headers(role, org_units=scope, subject="writer")
    response = await send(client, method, OXELOSUND + path.format(mapping=mapping), headers, body)

    changes = await history(client, OXELOSUND, oxelosund_reader)
    if allowed:
        assert response.is_success, response.text
        assert len(changes) == 1
        assert changes[0]["changed_by"] == "writer"
        created = write in {"new account mapping", "object mapping", "periodisation key"}
        expected = "created" if created else "deleted" if method == "DELETE" else "updated"
        assert changes[0]["action"] == expected
        assert (changes[0]["before"] is None) == created
        assert (changes[0]["after"] is None) == (method == "DELETE")
        assert await settings_of(client, OXELOSUND, oxelosund_reader) != before
    else:
        assert response.status_code == 403, response.text
        assert changes == []
        assert await settings_of(client, OXELOSUND, oxelosund_reader) == before


async def oxelosund_view(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Everything Oxelösund's people see of their budget: settings, 2024 summaries, imports."""
    seen: dict[str, Any] = {"settings": await settings_of(client, OXELOSUND, headers)}
    for group_by in ("activity", "account_group", "org_unit"):
        response = await client.get(
            "/api/v1/summaries",
            params={"org_unit": "oxelosund-von", "year": 2024, "group_by": group_by},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        seen[f"summary by {group_by}"] = response.json()
    outcome = await client.get(
        "/api/v1/outcomes",
        params={"year": 2024, "org_unit": "oxelosund", "limit": 500},
        headers=headers,
    )
    seen["outcome"] = outcome.json()
    status = await client.get("/api/v1/budgets/oxelosund-von/2024", headers=headers)
    seen["budget 2024"] = status.json()
    return seen


async def post_csv(
    client: AsyncClient, headers: dict[str, str], rows: list[str], **params: Any
) -> Response:
    return await client.post(
        "/api/v1/outcomes/csv",
        content=(CSV_HEADER + "\n".join(rows) + "\n").encode(),
        params=params,
        headers={**headers, "Content-Type": "text/csv"},
    )


@pytest.mark.usefixtures("both")
async def test_trosa_changes_nothing_oxelosund_sees(
    client: AsyncClient,
    tokens: TokenFactory,
    oxelosund_reader: dict[str, str],
    trosa_controller: dict[str, str],
) -> None:
    before = await oxelosund_view(client, oxelosund_reader)
    # the 2024 result of the papers: net outcome −354,5 mkr, the allocation 356,9 mkr
    assert before["summary by activity"]["total"]["result_outcome"] is not None

    async def trosa(method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await send(client, method, TROSA + path, trosa_controller, body)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    # fiscal years: another year's follow-ups changed, a new year
    await trosa("PUT", "/fiscal-years/2025", {"follow_up_months": [2, 6, 9], "closed": False})
    await trosa("PUT", "/fiscal-years/2027", {"follow_up_months": [4, 8, 12]})
    # codes Oxelösund has too: renamed and created in Trosa only
    await trosa("PUT", "/activity-codes/55", {"name": "Vård och omsorg i Trosa"})
    await trosa("PUT", "/activity-codes/58", {"name": "Förebyggande insatser"})
    await trosa(
        "PUT",
        "/account-groups/personalkostnader",
        {"name": "Personalkostnader (Trosa)", "kind": "cost", "sort_order": 5},
    )
    await trosa("PUT", "/account-groups/avgiftsintakter", {"name": "Avgifter", "kind": "revenue"})
    await trosa("PUT", "/periodisation-keys/semester", {"name": "S", "weights": [1] * 12})
    # account ranges: Oxelösund maps 3100–3199 to its own group; Trosa remaps its range
    ranges = await trosa("GET", "/account-mappings")
    income = next(item for item in ranges if item["account_from"] == 3000)
    await trosa("DELETE", f"/account-mappings/{income['id']}", status=204)
    await trosa(
        "POST",
        "/account-mappings",
        {"account_from": 3100, "account_to": 3199, "account_group": "avgiftsintakter"},
        status=201,
    )
    await trosa(
        "POST",
        "/account-mappings",
        {"account_from": 3000, "account_to": 3099, "account_group": "intakter"},
        status=201,
    )
    overlap = await send(
        client,
        "POST",
        TROSA + "/account-mappings",
        trosa_controller,
        {"account_from": 3050, "account_to": 3150, "account_group": "intakter"},
    )
    assert overlap.status_code == 409  # the overlap rule holds within Trosa
    # SIE objects: Oxelösund's 7210 (its SÄBO) is Trosa's SÄBO in Trosa's ledger
    await trosa(
        "PUT", "/object-mappings/1/7210", {"org_unit_id": "trosa-sabo", "activity_code": "55"}
    )
    foreign = await send(
        client,
        "PUT",
        TROSA + "/object-mappings/1/7999",
        trosa_controller,
        {"org_unit_id": "oxelosund-sabo"},
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "body.org_unit_id"
    assert "oxelosund" in foreign.json()["errors"][0]["message"]
    await trosa("DELETE", "/object-mappings/1/7320", status=204)

    # outcome: Trosa's December 2024 under the source Oxelösund's demo rows have too
    imported = await post_csv(
        client,
        trosa_controller,
        [
            "2024-12;trosa-sabo;55;personalkostnader;-8 100 000",
            "2024-12;trosa-hemtjanst;55;intakter;812 000",
        ],
        source="demo",
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["municipality_id"] == "trosa"
    assert imported.json()["replaced_rows"] == 0
    # a row on an Oxelösund unit refuses Trosa's file, naming the unit and its line
    refused = await post_csv(
        client,
        trosa_controller,
        [
            "2024-12;trosa-sabo;55;personalkostnader;-1",
            "2024-12;oxelosund-sabo;55;personalkostnader;-1",
        ],
        source="demo",
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "field": "body.line.3",
            "message": "org unit 'oxelosund-sabo' belongs to municipality 'oxelosund', not "
            "'trosa' (the municipality this import acts in)",
            "type": "invalid",
        }
    ]
    # SIE: object 7210 is placed by Trosa's mapping
    sie = (
        '#FLAGGA 0\r\n#SIETYP 4\r\n#PROGRAM "Visma" 1\r\n#RAR 0 20240101 20241231\r\n'
        '#VER A 1 20241215 "Lön"\r\n{\r\n#TRANS 5010 {1 "7210"} 1000.00\r\n'
        "#TRANS 1930 {} -1000.00\r\n}\r\n"
    ).encode("cp437")
    placed = await client.post(
        "/api/v1/outcomes/sie",
        content=sie,
        headers={**trosa_controller, "Content-Type": "application/octet-stream"},
    )
    assert placed.status_code == 201, placed.text
    # the operator acting in Trosa (named): replacing the demo source there, not in Oxelösund
    operator = tokens.headers("admin", subject="operator")
    unnamed = await post_csv(client, operator, ["2024-12;trosa-sabo;55;intakter;1"])
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["field"] == "query.municipality"
    replaced = await post_csv(
        client,
        operator,
        ["2024-12;trosa-sabo;55;intakter;100"],
        source="demo",
        municipality="trosa",
    )
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["replaced_rows"] == 2  # Trosa's two demo rows of December, no more
    forecast = await client.put(
        "/api/v1/forecasts/2025/6",
        json={
            "lines": [{"org_unit_id": "trosa-sabo", "activity_code": "55", "amount": "-117 mkr"}]
        },
        headers=trosa_controller,
    )
    assert forecast.status_code == 200, forecast.text

    assert await oxelosund_view(client, oxelosund_reader) == before

    # codes equal across municipalities coexist, each named by its own municipality
    oxelosund_codes = {c["code"]: c["name"] for c in before["settings"]["activity-codes"]}
    trosa_codes = {c["code"]: c["name"] for c in await trosa("GET", "/activity-codes")}
    assert oxelosund_codes["55"] == "Vård och omsorg, SoL och HSL"
    assert trosa_codes["55"] == "Vård och omsorg i Trosa"
    trosa_summary = await client.get(
        "/api/v1/summaries",
        params={"org_unit": "trosa-von", "year": 2025, "period": 6},
        headers=trosa_controller,
    )
    rows = {row["key"]: row for row in trosa_summary.json()["rows"]}
    assert rows["55"]["name"] == "Vård och omsorg i Trosa"
    assert trosa_summary.json()["forecast_month"] == 6  # a follow-up month of Trosa's 2025 only
    oxelosund_rows = {row["key"]: row for row in before["summary by activity"]["rows"]}
    assert oxelosund_rows["55"]["name"] == "Vård och omsorg, SoL och HSL"
    # and in Oxelösund June 2025 is no follow-up month
    not_follow_up = await client.put(
        "/api/v1/forecasts/2025/6",
        json={"lines": [{"org_unit_id": "oxelosund-ao", "activity_code": "55", "amount": -1}]},
        headers=tokens.headers("controller", org_units=["oxelosund-von"]),
    )
    assert not_follow_up.status_code == 422
    assert not_follow_up.json()["errors"][0]["field"] == "path.month"


@pytest.mark.usefixtures("both")
async def test_the_history_lists_each_write_with_before_and_after(
    client: AsyncClient,
    oxelosund_reader: dict[str, str],
    trosa_controller: dict[str, str],
    tokens: TokenFactory,
) -> None:
    writes: list[tuple[str, str, Any]] = [
        ("PUT", "/activity-codes/55", {"name": "Vård och omsorg i Trosa"}),
        ("PUT", "/activity-codes/55", {"name": "Vård och omsorg i Trosa"}),  # no change
        ("PUT", "/fiscal-years/2027", {"follow_up_months": [12, 4]}),
        (
            "POST",
            "/account-mappings",
            {"account_from": 9000, "account_to": 9009, "account_group": "intakter"},
        ),
        ("PUT", "/object-mappings/1/7999", {"org_unit_id": "trosa-hemtjanst"}),
        ("DELETE", "/object-mappings/1/7999", None),
    ]
    for method, path, body in writes:
        response = await send(client, method, TROSA + path, trosa_controller, body)
        assert response.is_success, response.text
    mapping_id = (await client.get(f"{TROSA}/account-mappings", headers=trosa_controller)).json()
    new_mapping = next(m for m in mapping_id if m["account_from"] == 9000)
    deleted = await send(
        client, "DELETE", f"{TROSA}/account-mappings/{new_mapping['id']}", trosa_controller
    )
    assert deleted.status_code == 204

    changes = await history(client, TROSA, trosa_controller)
    summary = [(c["setting"], c["key"], c["action"], c["before"], c["after"]) for c in changes]
    mapping = {
        "id": new_mapping["id"],
        "account_from": 9000,
        "account_to": 9009,
        "account_group_key": "intakter",
    }
    assert summary == [
        (
            "activity_code",
            "55",
            "updated",
            {"code": "55", "name": "Äldreomsorg"},
            {"code": "55", "name": "Vård och omsorg i Trosa"},
        ),
        (
            "fiscal_year",
            "2027",
            "created",
            None,
            {"year": 2027, "follow_up_months": [4, 12], "closed": False},
        ),
        ("account_mapping", str(new_mapping["id"]), "created", None, mapping),
        (
            "object_mapping",
            "1/7999",
            "created",
            None,
            {
                "id": changes[3]["after"]["id"],
                "dimension": 1,
                "object_code": "7999",
                "org_unit_id": "trosa-hemtjanst",
                "activity_code": None,
            },
        ),
        ("object_mapping", "1/7999", "deleted", changes[3]["after"], None),
        ("account_mapping", str(new_mapping["id"]), "deleted", mapping, None),
    ]
    assert {c["changed_by"] for c in changes} == {"trosa-controller"}
    assert await history(client, OXELOSUND, oxelosund_reader) == []
    # Trosa's history is Trosa's: someone working only in Oxelösund does not read it
    assert (
        await client.get(f"{TROSA}/settings/history", headers=oxelosund_reader)
    ).status_code == 403
    only_codes = await client.get(
        f"{TROSA}/settings/history", params={"setting": "activity_code"}, headers=trosa_controller
    )
    assert [c["key"] for c in only_codes.json()["items"]] == ["55"]
    assert (
        await client.get(f"{TROSA}/activity-codes", headers=oxelosund_reader)
    ).status_code == 403
    operator = tokens.headers("admin", subject="operator")
    assert (await client.get(f"{TROSA}/activity-codes", headers=operator)).status_code == 200
