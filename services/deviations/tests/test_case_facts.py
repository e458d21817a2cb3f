"""Facts a case holds (external deviations, investigation outcomes, channel, event date), and
corrections of migrated cases: re-import with the same external id, withdrawal by an admin."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from styr_deviations.cases.models import Case, CaseHistory
from styr_deviations.testing import create
from styr_shared.testing import TokenFactory

URL = "/api/v1/cases/import"


def importer_headers(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("importer", org_units=["oxelosund"], subject="migrering")


async def history(client: AsyncClient, headers: dict[str, str], case_id: int) -> list[Any]:
    response = await client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
    assert response.status_code == 200, response.text
    result: list[Any] = response.json()
    return result


async def import_rows(
    client: AsyncClient, headers: dict[str, str], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post(URL, json={"rows": rows}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def by_external_id(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    cases = (await client.get("/api/v1/cases", headers=headers)).json()["items"]
    return {case["external_id"]: case for case in cases}


EXTERNAL_ROW: dict[str, Any] = {
    "external_id": "EXT-1",
    "kind": "external_deviation",
    "law_area": "HSL",
    "category": "informationsoverforing",
    "external_direction": "outgoing",
    "external_party": "Region Sörmland, Kullbergska sjukhuset",
    "external_date": "2024-03-06",
    "external_answered_on": "2024-04-02",
    "investigation_outcome": "no_deficiency",
    "event_time": "2024-02-28T22:10:00+01:00",
    "reported_at": "2024-03-05T08:00:00+01:00",
    "org_unit_id": "oxelosund-sabo",
    "channel": "staff_report",
    "description": "Utskrivning utan läkemedelslista.",
    "state": "closed",
}
COMPLAINT_ROW: dict[str, Any] = {
    "external_id": "KL-1",
    "kind": "complaint",
    "category": "hemtjanst",
    "reported_at": "2024-05-02T10:00:00+02:00",
    "event_time": "2024-04-30T10:00:00+02:00",
    "org_unit_id": "oxelosund-hemtjanst",
    "channel": "patientnamnden",
    "reporter_type": "citizen",
    "description": "Klagomål via patientnämnden.",
    "state": "closed",
    "answered_at": "2024-05-20T10:00:00+02:00",
    "answer_summary": "Besvarat per brev.",
}


# --- facts set through the API ----------------------------------------------------------------


async def test_an_external_deviation_holds_direction_counterpart_and_dates(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(
        client,
        handler,
        kind="external_deviation",
        category="informationsoverforing",
        external_direction="incoming",
        external_party="Region Sörmland",
        external_date="2025-03-02",
        housing_type=None,
    )
    assert (case["external_direction"], case["external_party"]) == ("incoming", "Region Sörmland")
    assert (case["external_date"], case["external_answered_on"]) == ("2025-03-02", None)
    response = await client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"external_answered_on": "2025-03-20", "external_direction": "outgoing"},
        headers=handler,
    )
    assert response.status_code == 200, response.text
    assert response.json()["external_answered_on"] == "2025-03-20"
    assert response.json()["external_direction"] == "outgoing"
    changes = {
        h["field"]: (h["before"], h["after"])
        for h in await history(client, handler, case["id"])
        if h["event"] == "field_change"
    }
    assert changes["external_answered_on"] == (None, "2025-03-20")
    assert changes["external_direction"] == ("incoming", "outgoing")

    early = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"external_answered_on": "2025-03-01"}, headers=handler
    )
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "body.external_answered_on"


async def test_external_facts_only_belong_to_external_deviations(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    refused = await client.post(
        "/api/v1/cases",
        json={
            "kind": "deviation",
            "law_area": "HSL",
            "org_unit_id": "oxelosund-sabo",
            "description": "x",
            "external_date": "2025-03-01",
        },
        headers=handler,
    )
    assert refused.status_code == 422
    case = await create(client, handler)
    response = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"external_party": "Regionen"}, headers=handler
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.external_party"


async def test_investigation_outcomes_are_recorded_by_investigators_with_history(
    client: AsyncClient, org: None, tokens: TokenFactory, handler: dict[str, str]
) -> None:
    case = await create(client, handler)
    path = f"/api/v1/cases/{case['id']}"
    denied = await client.patch(path, json={"investigation_outcome": "ongoing"}, headers=handler)
    assert denied.status_code == 403
    mas = tokens.headers("mas", org_units=["oxelosund-von"], subject="mas")
    for outcome in ("ongoing", "lex_maria_reported"):
        response = await client.patch(path, json={"investigation_outcome": outcome}, headers=mas)
        assert response.status_code == 200, response.text
        assert response.json()["investigation_outcome"] == outcome
    unknown = await client.patch(path, json={"investigation_outcome": "maybe"}, headers=mas)
    assert unknown.status_code == 422
    changes = [
        (h["before"], h["after"], h["actor"])
        for h in await history(client, mas, case["id"])
        if h["field"] == "investigation_outcome"
    ]
    assert changes == [(None, "ongoing", "mas"), ("ongoing", "lex_maria_reported", "mas")]


async def test_the_channel_is_corrected_with_history_and_cannot_be_removed(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(client, handler, kind="complaint", law_area=None, category="hemtjanst")
    path = f"/api/v1/cases/{case['id']}"
    response = await client.patch(path, json={"channel": "letter"}, headers=handler)
    assert response.status_code == 200
    assert response.json()["channel"] == "letter"
    assert (await client.patch(path, json={"channel": None}, headers=handler)).status_code == 422
    assert [
        (h["before"], h["after"])
        for h in await history(client, handler, case["id"])
        if h["field"] == "channel"
    ] == [("staff_report", "letter")]


# --- the migration import -------------------------------------------------------------------


async def test_the_import_round_trips_every_new_field(
    client: AsyncClient, org: None, tokens: TokenFactory, admin: dict[str, str]
) -> None:
    result = await import_rows(client, importer_headers(tokens), [EXTERNAL_ROW, COMPLAINT_ROW])
    assert (result["created"], result["failed"]) == (2, 0), result["errors"]
    cases = await by_external_id(client, admin)
    external, complaint = cases["EXT-1"], cases["KL-1"]
    assert {
        name: external[name]
        for name in (
            "external_direction",
            "external_party",
            "external_date",
            "external_answered_on",
            "investigation_outcome",
            "channel",
        )
    } == {
        "external_direction": "outgoing",
        "external_party": "Region Sörmland, Kullbergska sjukhuset",
        "external_date": "2024-03-06",
        "external_answered_on": "2024-04-02",
        "investigation_outcome": "no_deficiency",
        "channel": "staff_report",
    }
    assert external["event_time"].startswith("2024-02-28T21:10:00")
    assert external["reported_at"].startswith("2024-03-05T07:00:00")
    assert (complaint["channel"], complaint["reporter_type"]) == ("patientnamnden", "citizen")
    # and as CSV, the same fields
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXTERNAL_ROW))
    writer.writeheader()
    writer.writerow({**EXTERNAL_ROW, "external_id": "EXT-2", "external_direction": "incoming"})
    response = await client.post(
        URL,
        content=buffer.getvalue().encode(),
        headers={**importer_headers(tokens), "Content-Type": "text/csv"},
    )
    assert response.json()["created"] == 1, response.text
    assert (await by_external_id(client, admin))["EXT-2"]["external_direction"] == "incoming"


async def test_an_import_refuses_external_facts_on_other_kinds(
    client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    row = {**COMPLAINT_ROW, "external_direction": "incoming"}
    result = await import_rows(client, importer_headers(tokens), [row])
    assert result["failed"] == 1
    bad = {**EXTERNAL_ROW, "external_answered_on": "2024-03-01"}
    assert (await import_rows(client, importer_headers(tokens), [bad]))["failed"] == 1


async def test_reimporting_corrects_a_closed_case_with_history(
    client: AsyncClient, org: None, tokens: TokenFactory, admin: dict[str, str]
) -> None:
    importer = importer_headers(tokens)
    await import_rows(client, importer, [EXTERNAL_ROW, COMPLAINT_ROW])
    before = await by_external_id(client, admin)
    same = await import_rows(client, importer, [EXTERNAL_ROW, COMPLAINT_ROW])
    assert (same["created"], same["corrected"], same["unchanged"]) == (0, 0, 2)

    corrected_row = {
        **EXTERNAL_ROW,
        "external_direction": "incoming",
        "investigation_outcome": "lex_sarah",
        "category": "lakemedel",
        "event_time": "2024-02-27T22:10:00+01:00",
    }
    result = await import_rows(client, importer, [corrected_row, COMPLAINT_ROW])
    assert (result["created"], result["corrected"], result["unchanged"]) == (0, 1, 1)
    assert result["corrected_ids"] == ["EXT-1"]
    after = await by_external_id(client, admin)
    case = after["EXT-1"]
    assert case["id"] == before["EXT-1"]["id"]
    assert case["state"] == "closed"
    assert (case["external_direction"], case["investigation_outcome"], case["category"]) == (
        "incoming",
        "lex_sarah",
        "lakemedel",
    )
    corrections = {
        h["field"]: (h["before"], h["after"], h["actor"])
        for h in await history(client, admin, case["id"])
        if h["event"] == "import_correction"
    }
    assert set(corrections) == {
        "external_direction",
        "investigation_outcome",
        "category",
        "event_time",
    }
    assert corrections["external_direction"] == ("outgoing", "incoming", "migrering")
    assert after["KL-1"] == before["KL-1"]


async def test_reimporting_a_legacy_reference_corrects_it(
    client: AsyncClient, org: None, tokens: TokenFactory, admin: dict[str, str]
) -> None:
    importer = importer_headers(tokens)
    await import_rows(client, importer, [{**COMPLAINT_ROW, "reference_number": "SN.2024.7"}])
    result = await import_rows(
        client, importer, [{**COMPLAINT_ROW, "reference_number": "SN.2024.8"}]
    )
    assert result["corrected"] == 1, result
    assert (await by_external_id(client, admin))["KL-1"]["reference_number"] == "SN.2024.8"
    again = await import_rows(
        client, importer, [{**COMPLAINT_ROW, "reference_number": "SN.2024.8"}]
    )
    assert (again["corrected"], again["unchanged"], again["failed"]) == (0, 1, 0)


async def test_an_admin_withdraws_a_wrongly_imported_case(
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    admin: dict[str, str],
    handler: dict[str, str],
) -> None:
    importer = importer_headers(tokens)
    await import_rows(client, importer, [EXTERNAL_ROW, COMPLAINT_ROW])
    case = (await by_external_id(client, admin))["EXT-1"]
    path = f"/api/v1/cases/{case['id']}/withdraw-import"
    body = {"reason": "Hörde till en annan kommun."}
    assert (await client.post(path, json=body, headers=handler)).status_code == 403
    reader = tokens.headers("reader", org_units=["oxelosund"])
    before = (await client.get("/api/v1/statistics", headers=admin)).json()
    response = await client.post(path, json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["import_withdrawn_at"] is not None
    assert response.json()["state"] == "closed"  # kept as it was
    entry = [
        h for h in await history(client, admin, case["id"]) if h["event"] == "import_withdrawn"
    ]
    assert [(e["actor"], e["reason"]) for e in entry] == [("admin-user", body["reason"])]

    after = (await client.get("/api/v1/statistics", headers=admin)).json()
    assert (before["total"], after["total"]) == (2, 1)
    assert after["breakdowns"]["by_external_direction"]["total"] == 0
    assert (await client.get("/api/v1/statistics", headers=reader)).json()["total"] == "<5"
    # kept: readable, unchangeable, not withdrawn twice, and a re-import leaves it withdrawn
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=admin)).status_code == 200
    patch = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"category": "fall"}, headers=admin
    )
    assert patch.status_code == 409
    assert (await client.post(path, json=body, headers=admin)).status_code == 409
    again = await import_rows(client, importer, [{**EXTERNAL_ROW, "category": "fall"}])
    assert (again["withdrawn"], again["corrected"], again["created"]) == (1, 0, 0)
    assert (await by_external_id(client, admin))["EXT-1"]["category"] == "informationsoverforing"


async def test_only_imported_cases_are_withdrawn_this_way(
    client: AsyncClient, org: None, handler: dict[str, str], admin: dict[str, str]
) -> None:
    case = await create(client, handler)
    response = await client.post(
        f"/api/v1/cases/{case['id']}/withdraw-import", json={"reason": "fel"}, headers=admin
    )
    assert response.status_code == 409


# --- idempotence and corrections, for any rows --------------------------------------------

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["deviation", "external_deviation", "complaint"]),
            "day": st.integers(1, 28),
            "event_days_before": st.none() | st.integers(0, 5),
            "channel": st.sampled_from(["letter", "phone", "web_form", "patientnamnden"]),
            "state": st.sampled_from(["closed", "registered", "investigating"]),
            "outcome": st.none() | st.sampled_from(["ongoing", "no_deficiency", "staff_matter"]),
            "direction": st.sampled_from(["incoming", "outgoing"]),
            "text": st.text("abcåäö", min_size=1, max_size=12),
        }
    ),
    min_size=1,
    max_size=6,
)


def to_row(prefix: str, index: int, spec: dict[str, Any]) -> dict[str, Any]:
    reported = f"2024-06-{spec['day']:02d}T10:00:00+02:00"
    row: dict[str, Any] = {
        "external_id": f"{prefix}-{index}",
        "kind": spec["kind"],
        "reported_at": reported,
        "org_unit_id": "oxelosund-sabo",
        "description": spec["text"],
        "channel": spec["channel"],
        "state": spec["state"],
        "investigation_outcome": spec["outcome"],
    }
    if spec["event_days_before"] is not None:
        row["event_time"] = f"2024-06-{spec['day']:02d}T08:00:00+02:00"
    if spec["kind"] == "complaint":
        row["category"] = "hemtjanst"
    else:
        row |= {"law_area": "HSL", "category": "fall"}
    if spec["kind"] == "external_deviation":
        row |= {"external_direction": spec["direction"], "external_date": "2024-06-28"}
    return row


async def _snapshot(app: FastAPI, prefix: str) -> tuple[list[Any], int]:
    """This example's cases, every column, and how many history rows they have."""
    cases_table: Any = Case.__table__  # type: ignore[attr-defined]
    history_table: Any = CaseHistory.__table__  # type: ignore[attr-defined]
    async with app.state.database.engine.connect() as connection:
        statement = cases_table.select().where(cases_table.c.external_id.startswith(f"{prefix}-"))
        cases = (await connection.execute(statement.order_by(cases_table.c.id))).all()
        ids = [row.id for row in cases]
        entries = (
            await connection.execute(history_table.select().where(history_table.c.case_id.in_(ids)))
        ).all()
    return [tuple(row) for row in cases], len(entries)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=rows_strategy, changes=rows_strategy)
async def test_reimporting_is_idempotent_and_corrections_converge(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    specs: list[dict[str, Any]],
    changes: list[dict[str, Any]],
) -> None:
    prefix = uuid.uuid4().hex[:12]  # history is append-only: each example its own cases
    importer = importer_headers(tokens)
    rows = [to_row(prefix, i, spec) for i, spec in enumerate(specs)]
    first = await import_rows(client, importer, rows)
    assert first["created"] == len(rows), first["errors"]
    snapshot = await _snapshot(app, prefix)
    again = await import_rows(client, importer, rows)
    assert (again["created"], again["corrected"], again["unchanged"]) == (0, 0, len(rows))
    assert await _snapshot(app, prefix) == snapshot  # not a field, not a history row changed

    # a corrected export: the changed rows correct their cases, and say so once
    corrected = [to_row(prefix, i, spec) for i, spec in enumerate(changes[: len(rows)])]
    corrected += rows[len(corrected) :]
    result = await import_rows(client, importer, corrected)
    differing = {row["external_id"] for row, old in zip(corrected, rows, strict=True) if row != old}
    assert set(result["corrected_ids"]) <= differing
    assert result["created"] == 0
    assert result["failed"] == 0
    settled = await _snapshot(app, prefix)
    final = await import_rows(client, importer, corrected)
    assert (final["corrected"], final["unchanged"]) == (0, len(rows))
    assert await _snapshot(app, prefix) == settled
    # what the cases say is what the last rows say
    admin = tokens.headers("admin", subject="admin-user")
    stored, _ = await _snapshot(app, prefix)
    for row, (case_id, *_) in zip(corrected, stored, strict=True):
        case = (await client.get(f"/api/v1/cases/{case_id}", headers=admin)).json()
        assert case["external_id"] == row["external_id"]
        assert (case["kind"], case["channel"], case["state"], case["description"]) == (
            row["kind"],
            row["channel"],
            row["state"],
            row["description"],
        )
        assert case["investigation_outcome"] == row["investigation_outcome"]
        assert case["external_direction"] == row.get("external_direction")


async def test_a_correction_does_not_reach_a_case_outside_the_importers_scope(
    client: AsyncClient, org: None, tokens: TokenFactory, admin: dict[str, str]
) -> None:
    await import_rows(client, importer_headers(tokens), [COMPLAINT_ROW])  # on hemtjänst
    narrow = tokens.headers("importer", org_units=["oxelosund-sabo"], subject="sabo-import")
    moved = {**COMPLAINT_ROW, "org_unit_id": "oxelosund-sabo", "description": "Ändrad"}
    result = await import_rows(client, narrow, [moved])
    assert (result["corrected"], result["failed"]) == (0, 1)
    assert result["errors"][0]["errors"][0]["field"] == "external_id"
    case = (await by_external_id(client, admin))["KL-1"]
    assert (case["org_unit_id"], case["description"]) == (
        "oxelosund-hemtjanst",
        COMPLAINT_ROW["description"],
    )
