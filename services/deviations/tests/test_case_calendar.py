"""The Swedish-calendar facts stored with each case (``cases/calendar.py``: year and month of
each date basis, the answer day, days to answer and to close) are right after every write path
that sets or changes the dates: registration, intake, raising a deviation from a complaint,
import, re-import corrections, edits, answers, transitions and Core inserts of plain rows
(the demo loader). Expected values are worked out here with ``zoneinfo`` directly, not with the
service's function; the moments lie near midnight on New Year's Eve, month ends and the DST
changes, where UTC and Stockholm disagree on the day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlmodel import select

from styr_deviations.cases.models import Case
from styr_deviations.demo.loader import build
from styr_deviations.testing import create, move
from styr_shared.testing import TokenFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
IMPORT = "/api/v1/cases/import"


def expected(case: Any) -> dict[str, Any]:
    """The facts of a case's dates, worked out independently of the service."""

    def day(moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(STOCKHOLM).date()

    reported = day(case.reported_at)
    event = day(case.event_time) or reported
    answered, closed = day(case.answered_at), day(case.closed_at)
    assert reported is not None
    assert event is not None
    return {
        "registration_year": reported.year,
        "registration_month": reported.month,
        "event_year": event.year,
        "event_month": event.month,
        "answered_on": answered,
        "answer_days": None if answered is None else (answered - reported).days,
        "close_days": None if closed is None else (closed - reported).days,
    }


async def stored(app: FastAPI, case_id: int) -> Case:
    async with app.state.database.session() as session:
        case: Case = (await session.exec(select(Case).where(Case.id == case_id))).one()
        session.expunge(case)
        return case


def facts(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in expected(case)}


async def check(app: FastAPI, case_id: int) -> Case:
    case = await stored(app, case_id)
    assert facts(case) == expected(case)
    return case


async def test_registration_stores_the_swedish_year_of_new_years_eve(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Stockholm; the event an hour earlier
    # (22:59 UTC) is still 23:59 on New Year's Eve
    case = await create(
        client,
        handler,
        reported_at="2024-12-31T23:30:00Z",
        event_time="2024-12-31T22:59:00Z",
    )
    row = await check(app, case["id"])
    assert (row.registration_year, row.registration_month) == (2025, 1)
    assert (row.event_year, row.event_month) == (2024, 12)
    assert (row.answered_on, row.answer_days, row.close_days) == (None, None, None)


async def test_an_edit_of_the_event_time_moves_the_event_month(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(
        client, handler, reported_at="2025-01-10T10:00:00Z", event_time="2025-01-09T10:00:00Z"
    )
    # 23:10 UTC on 30 November 2024 is already 1 December in Stockholm
    patched = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"event_time": "2024-11-30T23:10:00Z"}, headers=handler
    )
    assert patched.status_code == 200, patched.text
    row = await check(app, case["id"])
    assert (row.event_year, row.event_month) == (2024, 12)
    cleared = await client.patch(
        f"/api/v1/cases/{case['id']}", json={"event_time": None}, headers=handler
    )
    assert cleared.status_code == 200, cleared.text
    row = await check(app, case["id"])
    assert (row.event_year, row.event_month) == (2025, 1)  # the registration's, without one


async def test_an_answer_stores_its_swedish_day_and_the_days_to_answer(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    complaint = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reporter_type="relative",
        reported_at="2025-01-31T22:30:00Z",  # 23:30 on 31 January in Stockholm
        event_time="2025-01-31T20:00:00Z",
        housing_type=None,
    )
    await move(client, handler, complaint["id"], "received")
    answered = await client.post(
        f"/api/v1/cases/{complaint['id']}/answer",
        json={"summary": "Svar skickat.", "answered_at": "2025-02-01T23:30:00Z"},
        headers=handler,
    )
    assert answered.status_code == 200, answered.text
    row = await check(app, complaint["id"])
    assert row.answered_on == date(2025, 2, 2)  # 00:30 on 2 February in Stockholm
    assert row.answer_days == 2
    assert answered.json()["days_to_answer"] == 2


async def test_closing_stores_the_days_to_close(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(client, handler)
    rejected = await move(client, handler, case["id"], "rejected", reason="Ingen avvikelse.")
    assert rejected.status_code == 200, rejected.text
    row = await check(app, case["id"])
    assert row.close_days is not None


async def test_intake_and_a_raised_deviation_store_their_facts(
    app: FastAPI, client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    submitted = await client.post(
        "/api/v1/public/oxelosund/feedback",
        json={
            "kind": "feedback",
            "feedback_type": "praise",
            "category": "hemtjanst",
            "message": "Tack!",
            "contact": {"name": "Test Testsson", "email": "test@example.org"},
        },
    )
    assert submitted.status_code == 201, submitted.text
    async with app.state.database.session() as session:
        ids = list(await session.exec(select(Case.id)))
    assert len(ids) == 1
    assert ids[0] is not None
    await check(app, ids[0])
    complaint = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reporter_type="relative",
        housing_type=None,
    )
    raised = await client.post(
        f"/api/v1/cases/{complaint['id']}/deviation",
        json={"law_area": "HSL", "category": "lakemedel", "reason": "Fel dos"},
        headers=handler,
    )
    assert raised.status_code == 201, raised.text
    await check(app, raised.json()["id"])


async def test_import_and_re_import_corrections_keep_the_facts(
    app: FastAPI, client: AsyncClient, org: None, tokens: TokenFactory
) -> None:
    importer = tokens.headers("importer", org_units=["oxelosund"])
    row = {
        "external_id": "old-1",
        "kind": "complaint",
        "category": "bemotande_synpunkt",
        "org_unit_id": "oxelosund-sabo",
        # 23:00 UTC on 31 December 2023 is midnight, 1 January 2024, in Stockholm
        "reported_at": "2023-12-31T23:00:00Z",
        "event_time": "2023-12-31T22:00:00Z",
        "answered_at": "2024-01-31T23:00:00Z",  # 1 February in Stockholm
        "closed_at": "2024-03-31T22:30:00Z",  # summer time: 00:30 on 1 April
        "description": "Inläst.",
    }
    first = await client.post(IMPORT, json={"rows": [row]}, headers=importer)
    assert first.json()["created"] == 1, first.text
    async with app.state.database.session() as session:
        case_id = (await session.exec(select(Case.id))).one()
    assert case_id is not None
    case = await check(app, case_id)
    assert (case.registration_year, case.registration_month) == (2024, 1)
    assert (case.event_year, case.event_month) == (2023, 12)
    assert (case.answered_on, case.answer_days, case.close_days) == (date(2024, 2, 1), 31, 91)
    corrected = row | {
        "reported_at": "2023-12-31T22:59:59Z",  # a second earlier: still 2023
        "event_time": None,
        "answered_at": "2024-01-31T22:59:00Z",
        "closed_at": "2024-03-30T23:30:00Z",  # winter time still: 00:30 on 31 March
    }
    again = await client.post(IMPORT, json={"rows": [corrected]}, headers=importer)
    assert again.json()["corrected"] == 1, again.text
    case = await check(app, case_id)
    assert (case.registration_year, case.registration_month) == (2023, 12)
    assert (case.event_year, case.event_month) == (2023, 12)
    assert (case.answered_on, case.answer_days, case.close_days) == (date(2024, 1, 31), 31, 91)


async def test_core_inserts_of_plain_rows_compute_the_facts(app: FastAPI, org: None) -> None:
    """The demo loader (and tests) insert plain rows with ``insert(Case)``."""
    rows = build()[0][:50]
    rows[0] = rows[0] | {"reported_at": datetime(2022, 10, 30, 0, 30, tzinfo=UTC)}  # DST ends
    async with app.state.database.engine.begin() as connection:
        await connection.execute(insert(Case), rows)
    async with app.state.database.session() as session:
        ids = list(await session.exec(select(Case.id)))
    assert len(ids) == 50
    for case_id in ids:
        assert case_id is not None
        await check(app, case_id)


# Moments where Stockholm and UTC disagree on the day, month or year: around midnight (Stockholm
# time) on New Year's Eve, at month ends, and on the nights the clocks change.
EDGES = [
    datetime(2021, 12, 31, 23, tzinfo=STOCKHOLM),
    datetime(2022, 12, 31, 23, tzinfo=STOCKHOLM),
    datetime(2023, 12, 31, 23, tzinfo=STOCKHOLM),
    datetime(2024, 2, 29, 23, tzinfo=STOCKHOLM),
    datetime(2024, 3, 31, 1, tzinfo=STOCKHOLM),  # clocks go forward at 02:00
    datetime(2024, 4, 30, 23, tzinfo=STOCKHOLM),
    datetime(2024, 10, 27, 2, tzinfo=STOCKHOLM),  # clocks go back at 03:00
    datetime(2024, 10, 31, 23, tzinfo=STOCKHOLM),
    datetime(2024, 12, 31, 23, tzinfo=STOCKHOLM),
]
moments = st.builds(
    lambda edge, minutes: (edge + timedelta(minutes=minutes)).astimezone(UTC),
    st.sampled_from(EDGES),
    st.integers(-150, 150),
)
write = st.one_of(
    st.tuples(
        st.just("import"),
        st.lists(moments, min_size=4, max_size=4).map(sorted),
        st.booleans(),  # with an event time
        st.sampled_from(["closed", "registered"]),
        st.booleans(),  # answered
    ),
    st.tuples(st.just("edit"), moments),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a few requests
)
@given(writes=st.lists(write, min_size=1, max_size=6))
async def test_after_any_sequence_of_writes_the_facts_follow_the_dates(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    tokens: TokenFactory,
    writes: list[tuple[Any, ...]],
) -> None:
    external_id = f"prop-{uuid.uuid4().hex}"  # a case of its own (history rows keep the old)
    importer = tokens.headers("importer", org_units=["oxelosund"])
    handler = tokens.headers("case_handler", org_units=["oxelosund"])
    case_id: int | None = None
    for step in writes:
        if step[0] == "import":
            _, (event, reported, answered, closed), with_event, state, with_answer = step
            row: dict[str, Any] = {
                "external_id": external_id,
                "kind": "complaint",
                "category": "bemotande_synpunkt",
                "org_unit_id": "oxelosund-sabo",
                "reported_at": reported.isoformat(),
                "event_time": event.isoformat() if with_event else None,
                "answered_at": answered.isoformat() if with_answer else None,
                "state": state,
                "description": "Inläst.",
            }
            if state == "closed":
                row["closed_at"] = closed.isoformat()
            response = await client.post(IMPORT, json={"rows": [row]}, headers=importer)
            assert response.status_code == 200, response.text
            assert not response.json()["failed"], response.text
            async with app.state.database.session() as session:
                statement = select(Case.id).where(Case.external_id == external_id)
                case_id = (await session.exec(statement)).one()
        elif case_id is not None:
            current = await stored(app, case_id)
            response = await client.patch(
                f"/api/v1/cases/{case_id}",
                json={"event_time": min(step[1], current.reported_at).isoformat()},
                headers=handler,
            )
            # a closed case is not edited: 409, and nothing changes
            assert response.status_code in (200, 409), response.text
        if case_id is not None:
            await check(app, case_id)
