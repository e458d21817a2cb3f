"""Cases: registration, categories per year, org validation, reference series, workflow,
history, risk and MAS routing, actions, Lex Maria, Lex Sarah and reclassification."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from styr_deviations.config import LOCAL_TIME
from styr_deviations.testing import create, deviation, move
from styr_shared.testing import TokenFactory

YEAR = datetime.now(LOCAL_TIME).year  # the series year is the Swedish calendar year


async def test_registration_gives_a_reference_number_and_keeps_fields(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    first = await create(client, handler)
    second = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="hemtjanst",
        channel="patientnamnden",
        reporter_type="relative",
        housing_type=None,
    )
    assert first["reference_number"] == f"VON.{YEAR}.1"
    assert second["reference_number"] == f"VON.{YEAR}.2"
    assert first["state"] == "registered"
    assert first["category"] == "fall"
    assert first["law_area"] == "HSL"
    assert first["reported_by"] == "ec-sabo"
    assert second["channel"] == "patientnamnden"
    assert second["deadline"]["milestone"] == "answered"


async def test_categories_are_versioned_per_year(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    old = await client.get(
        "/api/v1/categories", params={"year": 2021, "kind": "deviation"}, headers=handler
    )
    new = await client.get(
        "/api/v1/categories", params={"year": 2022, "kind": "deviation"}, headers=handler
    )
    old_codes = {c["code"] for c in old.json()}
    new_codes = {c["code"] for c in new.json()}
    assert old_codes - new_codes == {"omvardnad"}
    assert new_codes - old_codes == {"vard_behandling_provtagning", "vardrelaterad_infektion"}

    dropped = await client.post(
        "/api/v1/cases",
        json=deviation(category="omvardnad", event_time="2023-05-01T10:00:00+02:00"),
        headers=handler,
    )
    assert dropped.status_code == 422
    assert dropped.json()["errors"][0]["field"] == "body.category"
    still_valid = await client.post(
        "/api/v1/cases",
        json=deviation(category="omvardnad", event_time="2021-11-01T10:00:00+01:00"),
        headers=handler,
    )
    assert still_valid.status_code == 201, still_valid.text


async def test_unknown_org_unit_and_bad_input_are_refused(
    client: AsyncClient, org: None, handler: dict[str, str], admin: dict[str, str]
) -> None:
    unknown = await client.post(
        "/api/v1/cases", json=deviation(org_unit_id="oxelosund-nope"), headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.org_unit_id"
    no_law_area = await client.post("/api/v1/cases", json=deviation(law_area=None), headers=handler)
    assert no_law_area.status_code == 422
    extra = await client.post("/api/v1/cases", json=deviation(colour="red"), headers=handler)
    assert extra.status_code == 422
    outside = await client.post(
        "/api/v1/cases", json=deviation(org_unit_id="oxelosund-lss"), headers=handler
    )
    assert outside.status_code == 403
    # A refused registration does not use up a serial.
    ok = await create(client, handler)
    assert ok["reference_number"] == f"VON.{YEAR}.1"


async def test_a_method_a_path_does_not_have_is_405_naming_its_methods(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    # /cases/overdue is a resource of its own, not a case id that fails to parse
    patch = await client.patch("/api/v1/cases/overdue", json={}, headers=handler)
    assert patch.status_code == 405
    assert patch.headers["allow"] == "GET"
    listing = await client.delete("/api/v1/cases", headers=handler)
    assert (listing.status_code, listing.headers["allow"]) == (405, "GET, POST")
    assert (await client.get("/api/v1/cases/12x", headers=handler)).status_code == 404


@pytest.mark.postgresql_only
async def test_fifty_concurrent_registrations_give_a_gap_free_series(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    responses = await asyncio.gather(
        *(client.post("/api/v1/cases", json=deviation(), headers=handler) for _ in range(50))
    )
    assert [r.status_code for r in responses] == [201] * 50
    serials = sorted(int(r.json()["reference_number"].rsplit(".", 1)[1]) for r in responses)
    assert serials == list(range(1, 51))


async def test_full_workflow_with_history_and_close_guard(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(client, handler)
    cid = case["id"]
    assert (await move(client, handler, cid, "assessed")).status_code == 409  # not received
    received = await move(client, handler, cid, "received")
    assert received.status_code == 200
    assert received.json()["assigned_to"] == "ec-sabo"
    assert received.json()["deadline"]["met_at"] is not None
    not_assessed = await move(client, handler, cid, "assessed")
    assert not_assessed.status_code == 409  # risk first
    risk = await client.put(
        f"/api/v1/cases/{cid}/risk", json={"probability": 2, "consequence": 1}, headers=handler
    )
    assert risk.json()["risk"]["level"] == "low"
    assert risk.json()["risk"]["consequence_label"] == "Lindrig"
    assert (await move(client, handler, cid, "assessed")).status_code == 200
    assert (await move(client, handler, cid, "investigating")).status_code == 200
    assert (await move(client, handler, cid, "actions")).status_code == 200
    assert (await move(client, handler, cid, "follow_up")).status_code == 409  # no action yet
    action = await client.post(
        f"/api/v1/cases/{cid}/actions",
        json={"description": "Halkskydd i badrummet", "owner": "ec-sabo", "due_date": "2025-04-01"},
        headers=handler,
    )
    assert action.status_code == 201
    aid = action.json()["id"]
    assert (await move(client, handler, cid, "follow_up")).status_code == 200
    blocked = await move(client, handler, cid, "closed")
    assert blocked.status_code == 409
    assert "follow-up" in blocked.json()["detail"]
    followed = await client.post(
        f"/api/v1/cases/{cid}/actions/{aid}/follow-up",
        json={"effect": "Inga nya fall på tre månader."},
        headers=handler,
    )
    assert followed.json()["status"] == "done"
    closed = await move(client, handler, cid, "closed")
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert (await move(client, handler, cid, "received")).status_code == 409  # final

    changed = await client.patch(f"/api/v1/cases/{cid}", json={"description": "x"}, headers=handler)
    assert changed.status_code == 409

    history = (await client.get(f"/api/v1/cases/{cid}/history", headers=handler)).json()
    transitions = [(h["before"], h["after"]) for h in history if h["event"] == "transition"]
    assert transitions == [
        ("registered", "received"),
        ("received", "assessed"),
        ("assessed", "investigating"),
        ("investigating", "actions"),
        ("actions", "follow_up"),
        ("follow_up", "closed"),
    ]
    assert all(h["actor"] == "ec-sabo" for h in history)
    risk_rows = {h["field"]: h["after"] for h in history if h["event"] == "risk_assessed"}
    assert risk_rows == {
        "risk_probability": 2,
        "risk_consequence": 1,
        "risk_score": 2,
        "risk_level": "low",
    }


async def test_field_changes_are_recorded_with_before_and_after(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(client, handler)
    response = await client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"category": "lakemedel", "description": "Fel dos given."},
        headers=handler,
    )
    assert response.status_code == 200, response.text
    history = (await client.get(f"/api/v1/cases/{case['id']}/history", headers=handler)).json()
    changes = {
        h["field"]: (h["before"], h["after"]) for h in history if h["event"] == "field_change"
    }
    assert changes == {
        "category": ("fall", "lakemedel"),
        "description": ("Boende föll i badrummet, inga synliga skador.", "Fel dos given."),
    }


async def test_reject_and_withdraw_need_a_reason_and_the_right_role(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    case = await create(client, handler)
    assert (await move(client, handler, case["id"], "withdrawn")).status_code == 422
    mas = tokens.headers("mas", org_units=["oxelosund-von"], subject="mas")
    assert (await move(client, mas, case["id"], "withdrawn", reason="dubblett")).status_code == 403
    done = await move(client, handler, case["id"], "withdrawn", reason="Dubblettanmälan")
    assert done.status_code == 200
    assert done.json()["closed_at"] is not None


async def test_high_risk_routes_to_mas_who_takes_over(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    case = await create(client, handler, category="lakemedel")
    cid = case["id"]
    await move(client, handler, cid, "received")
    high = await client.put(
        f"/api/v1/cases/{cid}/risk", json={"probability": 3, "consequence": 3}, headers=handler
    )
    assert high.json()["risk"]["level"] == "high"
    assert high.json()["mas_routed"] is True
    assert (await client.post(f"/api/v1/cases/{cid}/take-over", headers=handler)).status_code == 403
    mas = tokens.headers("mas", org_units=["oxelosund-von"], subject="mas-anna")
    inbox = await client.get("/api/v1/cases", params={"mas_routed": True}, headers=mas)
    assert [c["id"] for c in inbox.json()["items"]] == [cid]
    taken = await client.post(f"/api/v1/cases/{cid}/take-over", headers=mas)
    assert taken.status_code == 200
    assert taken.json()["assigned_to"] == "mas-anna"
    # Once MAS has the case, the unit manager can no longer move it.
    assert (await move(client, handler, cid, "assessed")).status_code == 403
    assert (await move(client, mas, cid, "assessed")).status_code == 200


async def test_low_risk_sol_case_is_not_routed(
    client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    lss = tokens.headers("case_handler", org_units=["oxelosund-lss"])
    case = await create(
        client,
        lss,
        law_area="LSS",
        org_unit_id="oxelosund-lss",
        category="insats_ej_utford",
        housing_type=None,
    )
    response = await client.put(
        f"/api/v1/cases/{case['id']}/risk", json={"probability": 4, "consequence": 4}, headers=lss
    )
    assert response.json()["risk"]["level"] == "very_high"
    assert response.json()["mas_routed"] is False  # MAS handles health care only
    bad = await client.put(
        f"/api/v1/cases/{case['id']}/risk", json={"probability": 5, "consequence": 1}, headers=lss
    )
    assert bad.status_code == 422


async def test_lex_maria_by_mas_and_close_rule(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    mas = tokens.headers("mas", org_units=["oxelosund-von"], subject="mas")
    case = await create(client, handler)
    cid = case["id"]
    denied = await client.put(
        f"/api/v1/cases/{cid}/lex-maria", json={"mas_assessment": "x"}, headers=handler
    )
    assert denied.status_code == 403
    inconsistent = await client.put(
        f"/api/v1/cases/{cid}/lex-maria", json={"ivo_report_date": "2023-05-02"}, headers=mas
    )
    assert inconsistent.status_code == 422
    await move(client, mas, cid, "received")
    await client.put(
        f"/api/v1/cases/{cid}/risk", json={"probability": 2, "consequence": 4}, headers=mas
    )
    await move(client, mas, cid, "assessed")
    started = await client.put(
        f"/api/v1/cases/{cid}/lex-maria",
        json={"mas_assessment": "Risk för allvarlig vårdskada.", "event_analysis": "Utförd."},
        headers=mas,
    )
    assert started.json()["regime"] == "lex_maria"
    assert (await move(client, mas, cid, "closed")).status_code == 409  # no decision yet
    decided = await client.put(
        f"/api/v1/cases/{cid}/lex-maria",
        json={
            "report_to_ivo": True,
            "decision_date": "2025-03-10",
            "ivo_report_date": "2025-03-12",
            "ivo_case_number": "3.1.1-12345/2025",
        },
        headers=mas,
    )
    assert decided.json()["lex_maria"]["ivo_case_number"] == "3.1.1-12345/2025"
    assert (await move(client, handler, cid, "closed")).status_code == 403  # MAS decides
    assert (await move(client, mas, cid, "closed")).status_code == 200


async def test_reclassification_hsl_to_lex_sarah_and_staff_matter(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    mas = tokens.headers("mas", org_units=["oxelosund-von"], subject="mas")
    investigator = tokens.headers(
        "lex_sarah_investigator", org_units=["oxelosund-vof"], subject="utredare"
    )
    case = await create(client, handler, category="bemotande")
    cid = case["id"]
    no_reason = await client.post(
        f"/api/v1/cases/{cid}/reclassify",
        json={"regime": "lex_sarah", "law_area": "SoL"},
        headers=mas,
    )
    assert no_reason.status_code == 422
    wrong_area = await client.post(
        f"/api/v1/cases/{cid}/reclassify", json={"regime": "lex_sarah", "reason": "x"}, headers=mas
    )
    assert wrong_area.status_code == 422
    assert wrong_area.json()["errors"][0]["field"] == "body.law_area"
    moved = await client.post(
        f"/api/v1/cases/{cid}/reclassify",
        json={
            "regime": "lex_sarah",
            "law_area": "SoL",
            "reason": "Gäller bemötande i omsorgen, inte vården.",
        },
        headers=mas,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["regime"] == "lex_sarah"
    assert moved.json()["law_area"] == "SoL"
    graded = await client.put(
        f"/api/v1/cases/{cid}/lex-sarah",
        json={"initial_assessment": "Möjligt missförhållande", "standpoint": "misconduct"},
        headers=investigator,
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["lex_sarah"]["standpoint"] == "misconduct"
    not_reportable = await client.put(
        f"/api/v1/cases/{cid}/lex-sarah",
        json={"ivo_report_date": "2025-03-01"},
        headers=investigator,
    )
    assert not_reportable.status_code == 422
    staff = await client.post(
        f"/api/v1/cases/{cid}/reclassify",
        json={"regime": "staff_matter", "reason": "Personalärende"},
        headers=investigator,
    )
    assert staff.status_code == 422  # IVO must have been consulted
    staff = await client.post(
        f"/api/v1/cases/{cid}/reclassify",
        json={
            "regime": "staff_matter",
            "reason": "Personalärende efter samråd med IVO",
            "ivo_consulted_on": "2025-03-05",
        },
        headers=investigator,
    )
    assert staff.status_code == 200, staff.text
    history = (await client.get(f"/api/v1/cases/{cid}/history", headers=handler)).json()
    reclass = [h for h in history if h["event"] == "reclassified"]
    assert [(h["before"]["regime"], h["after"]["regime"]) for h in reclass] == [
        ("standard", "lex_sarah"),
        ("lex_sarah", "staff_matter"),
    ]
    assert reclass[0]["before"]["law_area"] == "HSL"
    assert reclass[0]["reason"] == "Gäller bemötande i omsorgen, inte vården."
    assert reclass[1]["after"]["ivo_consulted_on"] == "2025-03-05"


async def test_concurrent_registrations_on_every_backend(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    # SQLite serialises writers; PostgreSQL queues on the locked counter row.
    responses = await asyncio.gather(
        *(client.post("/api/v1/cases", json=deviation(), headers=handler) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [201] * 20
    serials = sorted(int(r.json()["reference_number"].rsplit(".", 1)[1]) for r in responses)
    assert serials == list(range(1, 21))


async def test_external_deviation_needs_a_direction(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    missing = await client.post(
        "/api/v1/cases", json=deviation(kind="external_deviation"), headers=handler
    )
    assert missing.status_code == 422
    case = await create(
        client,
        handler,
        kind="external_deviation",
        external_direction="outgoing",
        external_party="Region Sörmland",
        channel="region",
        category="informationsoverforing",
    )
    assert case["external_party"] == "Region Sörmland"
    assert case["deadline"]["milestone"] == "received"


async def test_openapi_documents_the_stable_paths(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/public/feedback", "/api/v1/statistics", "/api/v1/cases/import"):
        assert path in schema["paths"]
        operation = next(iter(schema["paths"][path].values()))
        assert operation["summary"]


async def test_history_rows_cannot_be_rewritten(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    await create(client, handler)
    async with app.state.database.engine.connect() as connection:
        with pytest.raises(DBAPIError):
            await connection.execute(text("UPDATE case_history SET actor = 'someone else'"))
        await connection.rollback()
    history = (await client.get("/api/v1/cases/1/history", headers=handler)).json()
    assert history[0]["actor"] == "ec-sabo"


async def test_out_of_range_ids_and_dates_are_422_not_500(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    huge = await client.get("/api/v1/cases/99999999999999999999", headers=handler)
    assert huge.status_code == 422
    zero = await client.get("/api/v1/cases/0", headers=handler)
    assert zero.status_code == 422
    ancient = await client.post(
        "/api/v1/cases", json=deviation(event_time="0001-01-01T00:00:00+01:00"), headers=handler
    )
    assert ancient.status_code == 422
    naive = await client.post(
        "/api/v1/cases", json=deviation(event_time="2025-01-01T10:00:00"), headers=handler
    )
    assert naive.status_code == 422


async def test_actions_are_listed_changed_and_kept_in_history(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(client, handler)
    cid = case["id"]
    first = (
        await client.post(
            f"/api/v1/cases/{cid}/actions",
            json={"description": "Ny rutin för nattfika", "owner": "sjuksköterska"},
            headers=handler,
        )
    ).json()
    second = (
        await client.post(
            f"/api/v1/cases/{cid}/actions",
            json={"description": "Rörelselarm", "owner": "ec-sabo", "due_date": "2025-06-01"},
            headers=handler,
        )
    ).json()
    changed = await client.patch(
        f"/api/v1/cases/{cid}/actions/{second['id']}",
        json={"status": "cancelled"},
        headers=handler,
    )
    assert changed.json()["status"] == "cancelled"
    bad = await client.patch(
        f"/api/v1/cases/{cid}/actions/{second['id']}", json={"status": "maybe"}, headers=handler
    )
    assert bad.status_code == 422
    cancelled_follow_up = await client.post(
        f"/api/v1/cases/{cid}/actions/{second['id']}/follow-up",
        json={"effect": "x"},
        headers=handler,
    )
    assert cancelled_follow_up.status_code == 409
    wrong_case = await client.patch(
        f"/api/v1/cases/{cid + 1}/actions/{first['id']}", json={"owner": "x"}, headers=handler
    )
    assert wrong_case.status_code == 404
    read = (await client.get(f"/api/v1/cases/{cid}", headers=handler)).json()
    assert [(a["description"], a["status"]) for a in read["actions"]] == [
        ("Ny rutin för nattfika", "planned"),
        ("Rörelselarm", "cancelled"),
    ]
    history = (await client.get(f"/api/v1/cases/{cid}/history", headers=handler)).json()
    assert [h["event"] for h in history] == [
        "created",
        "action_added",
        "action_added",
        "action_changed",
    ]
    assert history[3]["field"] == f"action:{second['id']}.status"
    assert (history[3]["before"], history[3]["after"]) == ("planned", "cancelled")


async def test_only_the_investigator_closes_a_lex_sarah_case(
    client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    lss = tokens.headers("case_handler", org_units=["oxelosund-lss"])
    investigator = tokens.headers("lex_sarah_investigator", org_units=["oxelosund-so"])
    case = await create(
        client,
        lss,
        law_area="LSS",
        org_unit_id="oxelosund-lss",
        regime="lex_sarah",
        category="bemotande",
        housing_type=None,
    )
    cid = case["id"]
    await move(client, lss, cid, "received")
    await client.put(
        f"/api/v1/cases/{cid}/risk", json={"probability": 2, "consequence": 3}, headers=lss
    )
    await move(client, lss, cid, "assessed")
    assert (await move(client, investigator, cid, "closed")).status_code == 409  # no standpoint
    await client.put(
        f"/api/v1/cases/{cid}/lex-sarah",
        json={
            "standpoint": "risk_of_serious",
            "ivo_report_date": "2025-02-01",
            "ivo_case_number": "DEMO-1",
        },
        headers=investigator,
    )
    assert (await move(client, lss, cid, "closed")).status_code == 403
    closed = await move(client, investigator, cid, "closed")
    assert closed.status_code == 200
    assert closed.json()["lex_sarah"]["ivo_case_number"] == "DEMO-1"


async def test_workflow_and_risk_matrix_are_published(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    workflow = (await client.get("/api/v1/workflow", headers=handler)).json()
    assert list(workflow["registered"]) == ["received", "rejected", "withdrawn"]
    assert workflow["registered"]["withdrawn"] == ["admin", "case_handler"]
    assert workflow["closed"] == {}
    matrix = (await client.get("/api/v1/risk-matrix", headers=handler)).json()
    assert [s["label"] for s in matrix["consequence"]] == [
        "Lindrig",
        "Kännbar",
        "Allvarlig",
        "Katastrofal",
    ]
    assert [lv["key"] for lv in matrix["levels"] if lv["route_to_mas"]] == ["high", "very_high"]


FIVE_BY_FIVE: dict[str, Any] = {
    "probability": [{"value": v, "label": f"Nivå {v}"} for v in range(1, 6)],
    "consequence": [{"value": v, "label": f"Nivå {v}"} for v in range(1, 6)],
    "levels": [
        {"key": "green", "label": "Grön", "min_score": 1},
        {"key": "yellow", "label": "Gul", "min_score": 6},
        {"key": "red", "label": "Röd", "min_score": 15, "route_to_mas": True},
    ],
    "mas_min_consequence": None,
}


async def test_a_municipality_configures_its_own_matrix(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    admin = tokens.headers("admin", org_units=["oxelosund"])
    url = "/api/v1/municipalities/oxelosund/case-settings"
    current = (await client.get(url, headers=admin)).json()["settings"]
    changed = await client.put(url, json=current | {"risk_matrix": FIVE_BY_FIVE}, headers=admin)
    assert changed.status_code == 200, changed.text
    case = await create(client, handler)
    levels = []
    for probability, consequence in [(1, 5), (2, 3), (3, 5), (5, 5)]:
        assessed = await client.put(
            f"/api/v1/cases/{case['id']}/risk",
            json={"probability": probability, "consequence": consequence},
            headers=handler,
        )
        assert assessed.status_code == 200, assessed.text
        levels.append(assessed.json()["risk"]["level"])
    assert levels == ["green", "yellow", "red", "red"]
    assert assessed.json()["risk"]["consequence_label"] == "Nivå 5"
    assert (await client.get("/api/v1/risk-matrix", headers=handler)).json() == FIVE_BY_FIVE | {
        "levels": [
            lv | {"route_to_mas": lv.get("route_to_mas", False)} for lv in FIVE_BY_FIVE["levels"]
        ]
    }
    broken = {**FIVE_BY_FIVE, "levels": [{"key": "x", "label": "X", "min_score": 2}]}
    refused = await client.put(url, json=current | {"risk_matrix": broken}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("body.risk_matrix")


async def test_cases_by_ids_come_with_their_actions_and_only_within_scope(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    # `GET /cases?id=` (for the gateway's entity references): one call for many cases, each as
    # `GET /cases/{id}` answers it, actions included; a case outside the caller's scope is
    # left out as in every list.
    ao = tokens.headers("case_handler", org_units=["oxelosund-ao"], subject="ec-ao")
    sabo = [await create(client, handler) for _ in range(3)]
    elsewhere = await create(client, ao, org_unit_id="oxelosund-hemtjanst")
    action = {"description": "Rörelselarm", "owner": "ec-sabo"}
    added = await client.post(
        f"/api/v1/cases/{sabo[1]['id']}/actions", json=action, headers=handler
    )
    assert added.status_code == 201, added.text
    ids = [sabo[2]["id"], elsewhere["id"], sabo[1]["id"], sabo[0]["id"], 999_999]

    listed = await client.get("/api/v1/cases", params={"id": ids}, headers=ao)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == sorted(ids[:4])
    for item in items:
        single = await client.get(f"/api/v1/cases/{item['id']}", headers=ao)
        assert item == single.json()
    assert [a["description"] for a in items[1]["actions"]] == ["Rörelselarm"]

    in_scope = await client.get("/api/v1/cases", params={"id": ids}, headers=handler)
    assert [item["id"] for item in in_scope.json()["items"]] == [case["id"] for case in sabo]
    # Without `id` the list stays as it was: no actions.
    plain = await client.get("/api/v1/cases", headers=handler)
    assert all(item["actions"] == [] for item in plain.json()["items"])

    too_many = await client.get("/api/v1/cases", params={"id": list(range(1, 102))}, headers=ao)
    assert too_many.status_code == 422
    assert "query.id" in too_many.text
    reader = tokens.headers("reader", org_units=["oxelosund"])
    refused = await client.get("/api/v1/cases", params={"id": ids}, headers=reader)
    assert refused.status_code == 403
