"""Deadlines per kind, the overdue list and time to answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from httpx import AsyncClient

from styr_deviations.config import DEFAULT_DEADLINES
from styr_deviations.testing import create, move


def test_deadline_rules() -> None:
    complaint, feedback = DEFAULT_DEADLINES["complaint"], DEFAULT_DEADLINES["feedback"]
    assert complaint.due(date(2024, 1, 31)) == date(2024, 2, 29)  # one calendar month
    assert complaint.due(date(2024, 3, 15)) == date(2024, 4, 15)
    assert feedback.due(date(2024, 8, 21)) == date(2024, 9, 11)  # three weeks
    assert DEFAULT_DEADLINES["deviation"].due(date(2024, 5, 2)) == date(2024, 5, 2)


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def test_overdue_cases_are_listed_and_answers_stop_the_clock(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    late_complaint = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reported_at=_ago(40),
        event_time=None,
        reporter_type="relative",
        channel="letter",
    )
    fresh_feedback = await create(
        client,
        handler,
        kind="feedback",
        law_area=None,
        category="korttidsboende",
        reported_at=_ago(3),
        event_time=None,
        reporter_type="citizen",
        channel="web_form",
        feedback_type="praise",
        housing_type=None,
    )
    late_feedback = await create(
        client,
        handler,
        kind="feedback",
        law_area=None,
        category="korttidsboende",
        reported_at=_ago(29),
        event_time=None,
        reporter_type="citizen",
        channel="web_form",
        feedback_type="suggestion",
        housing_type=None,
    )
    unreceived = await create(client, handler, reported_at=_ago(1), event_time=_ago(1))
    received = await create(client, handler, reported_at=_ago(1), event_time=_ago(1))
    await move(client, handler, received["id"], "received")

    overdue = (await client.get("/api/v1/cases/overdue", headers=handler)).json()["items"]
    assert {c["id"] for c in overdue} == {
        late_complaint["id"],
        late_feedback["id"],
        unreceived["id"],
    }
    assert all(c["deadline"]["overdue"] for c in overdue)
    assert fresh_feedback["deadline"]["overdue"] is False

    answered = await client.post(
        f"/api/v1/cases/{late_feedback['id']}/answer",
        json={"summary": "Synpunkten utgör en viktig del i vårt förbättringsarbete."},
        headers=handler,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["days_to_answer"] == 29
    assert answered.json()["deadline"]["overdue"] is False
    overdue = (await client.get("/api/v1/cases/overdue", headers=handler)).json()["items"]
    assert {c["id"] for c in overdue} == {late_complaint["id"], unreceived["id"]}
    anonymous = await create(
        client,
        handler,
        kind="feedback",
        law_area=None,
        category="hemtjanst",
        reported_at=_ago(60),
        event_time=None,
        reporter_type="anonymous",
        channel="web_form",
        housing_type=None,
    )
    assert anonymous["deadline"] is None
    in_time = (
        await client.get("/api/v1/cases", params={"overdue": False}, headers=handler)
    ).json()["items"]
    assert {c["id"] for c in in_time} == {
        fresh_feedback["id"],
        late_feedback["id"],
        received["id"],
        anonymous["id"],
    }
    not_answerable = await client.post(
        f"/api/v1/cases/{unreceived['id']}/answer", json={"summary": "x"}, headers=handler
    )
    assert not_answerable.status_code == 409


async def test_complaint_cannot_close_unanswered(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    case = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="hemtjanst",
        reporter_type="citizen",
        channel="phone",
    )
    cid = case["id"]
    await move(client, handler, cid, "received")
    await move(client, handler, cid, "assessed")
    assert (await move(client, handler, cid, "closed")).status_code == 409
    await client.post(
        f"/api/v1/cases/{cid}/answer", json={"summary": "Svar skickat."}, headers=handler
    )
    assert (await move(client, handler, cid, "closed")).status_code == 200


async def test_a_complaint_raises_a_linked_deviation(
    client: AsyncClient, org: None, handler: dict[str, str]
) -> None:
    complaint = await create(
        client,
        handler,
        kind="complaint",
        law_area=None,
        category="bemotande_synpunkt",
        reporter_type="relative",
        channel="patientnamnden",
        person={"name": "Testperson", "personnummer": "19121212-1212"},
        reporter={"name": "Anhörig", "phone": "0155-123456"},
    )
    deviation = await client.post(
        f"/api/v1/cases/{complaint['id']}/deviation",
        json={"law_area": "HSL", "category": "lakemedel", "reason": "Klagomålet visar fel dos"},
        headers=handler,
    )
    assert deviation.status_code == 201, deviation.text
    raised = deviation.json()
    assert raised["kind"] == "deviation"
    assert raised["related_case_id"] == complaint["id"]
    assert raised["reference_number"] != complaint["reference_number"]
    personal = (
        await client.get(
            f"/api/v1/cases/{raised['id']}/personal-data",
            params={"reason": "utredning"},
            headers=handler,
        )
    ).json()
    assert personal["person"]["personnummer"] == "191212121212"
    assert personal["reporter"] is None  # the complainant's contact stays with the complaint
    history = (await client.get(f"/api/v1/cases/{complaint['id']}/history", headers=handler)).json()
    assert history[-1]["after"] == raised["reference_number"]
    assert history[-1]["reason"] == "Klagomålet visar fel dos"
    again = await client.post(
        f"/api/v1/cases/{raised['id']}/deviation",
        json={"law_area": "HSL", "reason": "x"},
        headers=handler,
    )
    assert again.status_code == 409
