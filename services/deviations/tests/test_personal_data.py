"""Personal data: validation, encryption at rest, who may read it, the access log, search by
keyed hash, key rotation; and who sees case details at all."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy import event, text

from styr_deviations.personaldata.crypto import PersonalDataCipher
from styr_deviations.personaldata.personnummer import (
    MARK,
    PersonnummerError,
    extract,
    normalise,
)
from styr_deviations.testing import create, deviation
from styr_shared.testing import TokenFactory

# Synthetic numbers with valid check digits (no real persons).
PNR = "19121212-1212"
SAMORDNING = "19700171-0016"  # day 11 + 60 (serial 000 is never issued)


def test_personnummer_validation() -> None:
    assert normalise(PNR) == "191212121212"
    assert normalise("121212-1212") == "201212121212"
    assert normalise("121212+1212") == "191212121212"
    assert normalise(SAMORDNING) == "197001710016"
    # "19700171-0008": serial 000 is never issued (the library knows, our own check did not)
    for bad in (
        "19121212-1213",
        "19121312-1212",
        "19000230-0000",
        "hello",
        "1912121212",
        "19700171-0008",
    ):
        try:
            normalise(bad)
        except PersonnummerError:
            continue
        raise AssertionError(f"{bad} was accepted")


def test_cipher_rotation_reads_old_keys() -> None:
    old = SecretStr("k1:" + "A" * 43 + "=")
    new = SecretStr("k2:" + "B" * 43 + "=")
    hash_key = SecretStr("h")
    token = PersonalDataCipher(old, [], hash_key).encrypt({"person": {"name": "Test"}})
    rotated = PersonalDataCipher(new, [old], hash_key)
    assert token.startswith("v1.k1.")
    assert rotated.decrypt(token) == {"person": {"name": "Test"}}
    assert rotated.encrypt({"a": 1}).startswith("v1.k2.")


async def _case_with_person(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    return await create(
        client,
        headers,
        person={"name": "Testperson Testsson", "personnummer": PNR},
        reporter_type="staff",
    )


async def test_personal_data_is_encrypted_and_never_in_the_case_view(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await _case_with_person(client, handler)
    assert case["has_personal_data"] is True
    assert "Testperson" not in str(case)
    async with app.state.database.engine.connect() as connection:
        row = (await connection.execute(text("SELECT * FROM deviation_case"))).mappings().one()
        dump = " ".join(str(v) for v in row.values())
    assert "191212121212" not in dump
    assert "1212-1212" not in dump
    assert "Testperson" not in dump
    assert str(row["personal_data"]).startswith("v1.dev1.")


async def test_invalid_personnummer_is_refused_without_echo(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/cases",
        json=deviation(person={"name": "X", "personnummer": "19121212-1213"}),
        headers=handler,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.person.personnummer"
    assert "1213" not in response.text


async def test_a_case_handler_of_unit_a_cannot_read_a_case_of_unit_b(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    case = await _case_with_person(client, handler)
    other = tokens.headers("case_handler", org_units=["oxelosund-hemtjanst"], subject="ec-ht")
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=other)).status_code == 403
    personal = await client.get(
        f"/api/v1/cases/{case['id']}/personal-data", params={"reason": "nyfiken"}, headers=other
    )
    assert personal.status_code == 403
    listed = await client.get("/api/v1/cases", headers=other)
    assert listed.json()["items"] == []
    # A grant higher up covers the unit.
    section = tokens.headers("case_handler", org_units=["oxelosund-ao"])
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=section)).status_code == 200


async def test_a_reader_sees_no_case_details(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    case = await _case_with_person(client, handler)
    for role in ("reader", "planner", "controller"):
        headers = tokens.headers(role, org_units=["oxelosund"])
        assert (await client.get(f"/api/v1/cases/{case['id']}", headers=headers)).status_code == 403
        assert (await client.get("/api/v1/cases", headers=headers)).status_code == 403
        personal = await client.get(
            f"/api/v1/cases/{case['id']}/personal-data",
            params={"reason": "x" * 5},
            headers=headers,
        )
        assert personal.status_code == 403
        assert (await client.get("/api/v1/statistics", headers=headers)).status_code == 200


async def test_who_sees_personal_data(
    client: AsyncClient,
    org: None,
    handler: dict[str, str],
    tokens: TokenFactory,
    admin: dict[str, str],
) -> None:
    hsl = await _case_with_person(client, handler)
    lss_handler = tokens.headers("case_handler", org_units=["oxelosund-lss"], subject="ec-lss")
    lss = await create(
        client,
        lss_handler,
        law_area="LSS",
        org_unit_id="oxelosund-lss",
        regime="lex_sarah",
        category="bemotande",
        housing_type=None,
        person={"name": "Brukare B", "personnummer": SAMORDNING},
    )
    mas = tokens.headers("mas", org_units=["oxelosund"], subject="mas")
    investigator = tokens.headers("lex_sarah_investigator", org_units=["oxelosund"], subject="ls")
    reason = {"reason": "Utredning av ärendet"}

    async def status(case_id: object, headers: dict[str, str]) -> int:
        response = await client.get(
            f"/api/v1/cases/{case_id}/personal-data", params=reason, headers=headers
        )
        return response.status_code

    assert await status(hsl["id"], handler) == 200
    assert await status(hsl["id"], mas) == 200  # health care
    assert await status(lss["id"], mas) == 403  # not health care: case yes, person no
    assert (await client.get(f"/api/v1/cases/{lss['id']}", headers=mas)).status_code == 200
    assert await status(lss["id"], investigator) == 200  # its Lex Sarah case
    assert await status(hsl["id"], investigator) == 403
    assert await status(hsl["id"], admin) == 403  # admins see cases, not persons
    assert (await client.get(f"/api/v1/cases/{hsl['id']}", headers=admin)).status_code == 200

    body = (
        await client.get(
            f"/api/v1/cases/{lss['id']}/personal-data", params=reason, headers=investigator
        )
    ).json()
    assert body["person"] == {
        "name": "Brukare B",
        "personnummer": "197001710016",
        "coordination_number": True,
    }
    # No reason, no data.
    missing = await client.get(f"/api/v1/cases/{hsl['id']}/personal-data", headers=handler)
    assert missing.status_code == 422


async def test_every_personal_data_read_is_in_the_access_log(
    client: AsyncClient,
    org: None,
    handler: dict[str, str],
    tokens: TokenFactory,
    admin: dict[str, str],
) -> None:
    case = await _case_with_person(client, handler)
    mas = tokens.headers("mas", org_units=["oxelosund"], subject="mas")
    await client.get(
        f"/api/v1/cases/{case['id']}/personal-data",
        params={"reason": "Åtgärdsplan"},
        headers=handler,
    )
    await client.get(
        f"/api/v1/cases/{case['id']}/personal-data",
        params={"reason": "Lex Maria-bedömning"},
        headers=mas,
    )
    denied = tokens.headers("case_handler", org_units=["oxelosund-lss"], subject="ec-lss")
    await client.get(
        f"/api/v1/cases/{case['id']}/personal-data", params={"reason": "nyfiken"}, headers=denied
    )
    search = await client.post(
        "/api/v1/cases/search-by-person",
        json={"personnummer": "121212+1212", "reason": "Samordning av insatser"},
        headers=handler,
    )
    assert [c["id"] for c in search.json()] == [case["id"]]
    assert "1212" not in str(search.json())

    assert (await client.get("/api/v1/personal-data-access", headers=handler)).status_code == 403
    log = (
        await client.get(
            "/api/v1/personal-data-access", params={"case_id": case["id"]}, headers=admin
        )
    ).json()["items"]
    assert [(e["actor"], e["action"], e["reason"]) for e in log] == [
        ("ec-sabo", "read", "Åtgärdsplan"),
        ("mas", "read", "Lex Maria-bedömning"),
        ("ec-sabo", "search", "Samordning av insatser"),
    ]
    assert all(e["reference_number"] == case["reference_number"] for e in log)
    naive = await client.get(
        "/api/v1/personal-data-access", params={"since": "2025-01-01T00:00"}, headers=admin
    )
    assert naive.status_code == 422
    recent = await client.get(
        "/api/v1/personal-data-access",
        params={"since": "2025-01-01T00:00:00+01:00", "actor": "mas"},
        headers=admin,
    )
    assert [e["reason"] for e in recent.json()["items"]] == ["Lex Maria-bedömning"]


async def test_changing_personal_data_is_in_history_but_redacted(
    client: AsyncClient, org: None, handler: dict[str, str], tokens: TokenFactory
) -> None:
    case = await create(client, handler)
    mas_on_other = tokens.headers("lex_sarah_investigator", org_units=["oxelosund"])
    denied = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"person": {"personnummer": PNR}}, headers=mas_on_other
    )
    assert denied.status_code == 403
    response = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"person": {"personnummer": PNR}}, headers=handler
    )
    assert response.json()["has_personal_data"] is True
    history = (await client.get(f"/api/v1/cases/{case['id']}/history", headers=handler)).json()
    row = next(h for h in history if h["field"] == "personal_data")
    assert row["after"] == "[personal data]"
    assert "1212" not in str(history)


async def test_re_encryption_moves_data_to_the_current_key(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str], admin: dict[str, str]
) -> None:
    case = await _case_with_person(client, handler)
    result = await client.post("/api/v1/personal-data/re-encrypt", headers=admin)
    assert result.json() == {"rewritten": 1, "current_key_id": "dev1"}
    again = await client.get(
        f"/api/v1/cases/{case['id']}/personal-data", params={"reason": "kontroll"}, headers=handler
    )
    assert again.json()["person"]["personnummer"] == "191212121212"


async def test_plain_personnummer_never_reaches_sql_or_logs(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    handler: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append(f"{statement} {parameters!r}")

    engine = app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        with caplog.at_level(logging.DEBUG):
            case = await _case_with_person(client, handler)
            await client.post(
                "/api/v1/cases/search-by-person",
                json={"personnummer": PNR, "reason": "Samordning"},
                headers=handler,
            )
            await client.get(
                f"/api/v1/cases/{case['id']}/personal-data",
                params={"reason": "Utredning"},
                headers=handler,
            )
            bad = await client.post(
                "/api/v1/cases",
                json=deviation(person={"personnummer": "19121212-1213"}),
                headers=handler,
            )
            assert bad.status_code == 422
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert any("deviation_case" in s for s in seen)
    for needle in ("191212121212", "1212-1212", "121212-1213", "Testperson"):
        assert not [s for s in seen if needle in s], needle
        assert needle not in caplog.text.replace("personal-data?reason", "")


def test_personnummer_are_found_in_free_text() -> None:
    text, found = extract(
        f"Boende {PNR} föll. Anhörig (samordningsnr {SAMORDNING[2:]}) ringde från 0701234560; "
        "faktura 19121212121299 och 19121212-1213 är inga nummer."
    )
    assert found == ["191212121212", "197001710016"]
    assert text == (
        f"Boende {MARK} föll. Anhörig (samordningsnr {MARK}) ringde från 0701234560; "
        "faktura 19121212121299 och 19121212-1213 är inga nummer."
    )


async def test_a_personnummer_in_free_text_is_kept_only_encrypted(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str], admin: dict[str, str]
) -> None:
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append(f"{statement} {parameters!r}")

    engine = app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        case = await create(
            client, handler, description=f"Boende {PNR} föll i badrummet.", immediate_actions=None
        )
        patched = await client.patch(
            f"/api/v1/cases/{case['id']}",
            json={"immediate_actions": f"Ringde anhörig, samordningsnummer {SAMORDNING}."},
            headers=handler,
        )
        assert patched.status_code == 200, patched.text
        action = await client.post(
            f"/api/v1/cases/{case['id']}/actions",
            json={"description": f"Kontakta anhörig till {PNR}.", "owner": "Enhetschef"},
            headers=handler,
        )
        assert action.status_code == 201, action.text
        submitted = await client.post(
            "/api/v1/public/feedback",
            json={
                "kind": "complaint",
                "message": f"Min mamma ({PNR}) fick fel mat.",
                "contact": {"name": "Anhörig", "email": "a@example.org"},
            },
        )
        assert submitted.status_code == 201, submitted.text
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    for needle in ("191212121212", "1212-1212", "197001710016", "0171-0016"):
        assert not [s for s in seen if needle in s], needle
    assert case["description"] == f"Boende {MARK} föll i badrummet."
    assert case["has_personal_data"] is True
    assert patched.json()["immediate_actions"] == f"Ringde anhörig, samordningsnummer {MARK}."
    assert action.json()["description"] == f"Kontakta anhörig till {MARK}."

    read = await client.get(
        f"/api/v1/cases/{case['id']}/personal-data", params={"reason": "Utredning"}, headers=handler
    )
    assert read.status_code == 200, read.text
    assert read.json()["numbers_in_text"] == [
        {"field": "description", "personnummer": "191212121212", "coordination_number": False},
        {"field": "immediate_actions", "personnummer": "197001710016", "coordination_number": True},
        {"field": "description", "personnummer": "191212121212", "coordination_number": False},
    ]
    log = await client.get(
        "/api/v1/personal-data-access", params={"case_id": case["id"]}, headers=admin
    )
    assert [entry["action"] for entry in log.json()["items"]] == ["read"]
    seconds = await client.get(
        "/api/v1/personal-data-access", params={"since": "0.5"}, headers=admin
    )
    assert seconds.status_code == 422
    assert seconds.json()["errors"][0]["field"] == "query.since"


async def test_numbers_in_reasons_and_raised_deviations_stay_encrypted(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    complaint = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reporter_type="relative",
        description=f"Min pappa {PNR} fick fel medicin.",
        immediate_actions=None,
        housing_type=None,
    )
    raised = await client.post(
        f"/api/v1/cases/{complaint['id']}/deviation",
        json={"law_area": "HSL", "category": "lakemedel", "reason": f"Gäller {SAMORDNING}"},
        headers=handler,
    )
    assert raised.status_code == 201, raised.text
    deviation = raised.json()
    assert deviation["description"] == f"Min pappa {MARK} fick fel medicin."
    withdrawn = await client.post(
        f"/api/v1/cases/{deviation['id']}/transitions",
        json={"to": "withdrawn", "reason": f"Dubblett, se ärende för {PNR}"},
        headers=handler,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    history = await client.get(f"/api/v1/cases/{deviation['id']}/history", headers=handler)
    reasons = [entry["reason"] for entry in history.json() if entry["reason"]]
    assert reasons == [f"Gäller {MARK}", f"Dubblett, se ärende för {MARK}"]

    async def numbers(case_id: int) -> list[Any]:
        read = await client.get(
            f"/api/v1/cases/{case_id}/personal-data",
            params={"reason": "Utredning"},
            headers=handler,
        )
        assert read.status_code == 200, read.text
        return [(e["field"], e["personnummer"]) for e in read.json()["numbers_in_text"]]

    # the deviation carries the number out of the complaint's text, and its own reason's
    assert await numbers(deviation["id"]) == [
        ("description", "191212121212"),
        ("reason", "191212121212"),
    ]
    assert await numbers(complaint["id"]) == [
        ("description", "191212121212"),
        ("reason", "197001710016"),
    ]
