"""Citizen intake: receipts, anonymity, strict validation, hostile input, the rate limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text

from styr_deviations.casesettings.schemas import NATIONAL_DEFAULTS
from styr_deviations.config import LOCAL_TIME
from styr_deviations.intake.ratelimit import PublicRateLimiter
from styr_shared.testing import TokenFactory, metric_value
from styr_shared.testing.servers import free_port, stop, wait_until_up

URL = "/api/v1/public/feedback"
YEAR = datetime.now(LOCAL_TIME).year
REDIS = "127.0.0.1:6379"


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def fresh_limiter(app: FastAPI) -> Iterator[None]:
    """Each test starts with an empty rate-limit window (the limiter is per process)."""
    configured = app.state.public_limiter
    app.state.public_limiter = PublicRateLimiter(limit=1000, window_seconds=600)
    yield
    app.state.public_limiter = configured


def feedback(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "feedback",
        "feedback_type": "praise",
        "category": "hemtjanst",
        "message": "Fantastisk personal i hemtjänsten!",
        "contact": {"name": "Test Testsson", "email": "test@example.org"},
    }
    body.update(overrides)
    return body


async def _count(app: FastAPI) -> tuple[int, int]:
    async with app.state.database.engine.connect() as connection:
        cases = (await connection.execute(text("SELECT count(*) FROM deviation_case"))).scalar()
        history = (await connection.execute(text("SELECT count(*) FROM case_history"))).scalar()
    return int(cases or 0), int(history or 0)


async def test_submission_gives_reference_and_receipt_and_keeps_everything(
    app: FastAPI,
    client: AsyncClient,
    org: None,
    admin: dict[str, str],
    handler: dict[str, str],
) -> None:
    response = await client.post(
        URL, json=feedback(org_unit_id="oxelosund-sabo", event_date="2024-03-01")
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["reference_number"].startswith("VON.")
    assert receipt["reference_number"] in receipt["message"]
    assert len(receipt["receipt_id"]) == 32
    assert receipt["answer_due"] is not None
    case = (await client.get("/api/v1/cases", headers=admin)).json()["items"][0]
    assert case["channel"] == "web_form"
    assert case["reporter_type"] == "citizen"
    assert case["feedback_type"] == "praise"
    assert case["description"] == "Fantastisk personal i hemtjänsten!"
    assert case["has_personal_data"] is True
    contact = await client.get(
        f"/api/v1/cases/{case['id']}/personal-data",
        params={"reason": "Besvara synpunkten"},
        headers=handler,
    )
    assert contact.json()["reporter"] == {
        "name": "Test Testsson",
        "email": "test@example.org",
        "phone": None,
    }


async def test_anonymous_submission(client: AsyncClient, org: None, admin: dict[str, str]) -> None:
    response = await client.post(
        URL, json={"message": "Personal kör för fort i bostadsområdet.", "anonymous": True}
    )
    assert response.status_code == 201, response.text
    assert response.json()["answer_due"] is None
    case = (await client.get("/api/v1/cases", headers=admin)).json()["items"][0]
    assert case["reporter_type"] == "anonymous"
    assert case["has_personal_data"] is False
    assert case["org_unit_id"] == "oxelosund-vof"
    assert case["deadline"] is None  # nobody to answer, so never overdue


HOSTILE: list[tuple[str, Any, int]] = [
    ("not json", b"{kind: feedback", 400),
    ("a list", [feedback()], 422),
    ("a string", "hej", 422),
    ("empty object", {}, 422),
    ("unknown field", feedback(priority="urgent"), 422),
    ("contact on anonymous", feedback(anonymous=True), 422),
    ("no way to answer", feedback(contact={"name": "X"}), 422),
    ("nul byte", feedback(message="hej\u0000då"), 422),
    ("escape sequence", feedback(message="hej \u001b[31m"), 422),
    ("too long", feedback(message="x" * 5001), 422),
    ("bad email", feedback(contact={"email": "<script>@x"}), 422),
    ("wrong type", feedback(anonymous="yes please"), 422),
    ("unknown category", feedback(category="fall"), 422),
    ("unknown unit", feedback(org_unit_id="oxelosund-nope"), 422),
    ("bad unit id", feedback(org_unit_id="'; DROP TABLE deviation_case; --"), 422),
    ("future event", feedback(event_date="2999-01-01"), 422),
    ("deep nesting", {"message": {"a": [[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]}}, 422),
    ("huge number", feedback(anonymous=10**400), 422),
]


@pytest.mark.parametrize(("name", "payload", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_input_is_refused_and_nothing_is_stored(
    app: FastAPI, client: AsyncClient, org: None, name: str, payload: Any, expected: int
) -> None:
    if isinstance(payload, bytes):
        response = await client.post(
            URL, content=payload, headers={"Content-Type": "application/json"}
        )
    else:
        response = await client.post(URL, json=payload)
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(app) == (0, 0)


async def test_lone_surrogate_and_oversized_bodies(
    app: FastAPI, client: AsyncClient, org: None
) -> None:
    surrogate = await client.post(
        URL,
        content=b'{"message": "hej \\ud800 d\\u00e5", "anonymous": true}',
        headers={"Content-Type": "application/json"},
    )
    assert surrogate.status_code in (400, 422)
    huge = await client.post(URL, json=feedback(message="x" * 40_000))
    assert huge.status_code == 413
    sql = await client.post(
        URL, json={"message": "'); DELETE FROM deviation_case; --", "anonymous": True}
    )
    assert sql.status_code == 201  # stored verbatim, harmlessly
    assert await _count(app) == (1, 1)


async def test_rate_limit_per_client(app: FastAPI, client: AsyncClient, org: None) -> None:
    app.state.public_limiter = PublicRateLimiter(limit=3, window_seconds=600)
    accepted = await metric_value(client, "styr_citizen_submissions_total", outcome="accepted")
    limited_before = await metric_value(
        client, "styr_citizen_submissions_total", outcome="rate_limited"
    )
    web_cases = await metric_value(
        client, "styr_cases_registered_total", kind="feedback", channel="web_form"
    )
    codes = [
        (await client.post(URL, json={"message": "Hej hej", "anonymous": True})).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    limited = await client.post(URL, json={"message": "Hej hej", "anonymous": True})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert (await _count(app))[0] == 3
    # The operations team sees it: three accepted, two refused, three cases from the web form.
    metrics = {
        "accepted": await metric_value(
            client, "styr_citizen_submissions_total", outcome="accepted"
        ),
        "rate_limited": await metric_value(
            client, "styr_citizen_submissions_total", outcome="rate_limited"
        ),
        "cases": await metric_value(
            client, "styr_cases_registered_total", kind="feedback", channel="web_form"
        ),
    }
    assert metrics == {
        "accepted": accepted + 3,
        "rate_limited": limited_before + 2,
        "cases": web_cases + 3,
    }


def named(municipality: str) -> str:
    return f"/api/v1/public/{municipality}/feedback"


async def test_intake_per_municipality(
    app: FastAPI, client: AsyncClient, both: None, admin: dict[str, str], tokens: TokenFactory
) -> None:
    anonymous = {"message": "Bra bemötande i hemtjänsten.", "anonymous": True}
    # Trosa has chosen no receiving unit yet: the citizen must name one, or wait
    unconfigured = await client.post(named("trosa"), json=anonymous)
    assert unconfigured.status_code == 409
    assert unconfigured.json()["type"].endswith("/intake-not-configured")
    to_unit = await client.post(named("trosa"), json=anonymous | {"org_unit_id": "trosa-hemtjanst"})
    assert to_unit.status_code == 201, to_unit.text
    stored = await client.put(
        "/api/v1/municipalities/trosa/case-settings",
        json=NATIONAL_DEFAULTS.model_dump(mode="json")
        | {"reference_format": "SN {year}/{n}", "intake_unit_id": "trosa-vof"},
        headers=tokens.headers("admin", org_units=["trosa"]),
    )
    assert stored.status_code == 200, stored.text
    trosa = await client.post(named("trosa"), json=anonymous)
    assert trosa.status_code == 201, trosa.text
    assert trosa.json()["reference_number"] == f"SN {YEAR}/1"
    oxelosund = await client.post(named("oxelosund"), json=anonymous)
    assert oxelosund.json()["reference_number"] == f"VON.{YEAR}.1"
    cases = (await client.get("/api/v1/cases", headers=admin)).json()["items"]
    assert sorted(
        (c["municipality_id"], c["org_unit_id"], c["reference_number"]) for c in cases
    ) == [
        ("oxelosund", "oxelosund-vof", f"VON.{YEAR}.1"),
        # before Trosa chose a format: the national default, in Trosa's own series
        ("trosa", "trosa-hemtjanst", f"{YEAR}/1"),
        ("trosa", "trosa-vof", f"SN {YEAR}/1"),
    ]

    refused = [
        (named("trosa"), anonymous | {"org_unit_id": "oxelosund-sabo"}, 422),  # not Trosa's
        (named("trosa"), anonymous | {"org_unit_id": "trosa-nope"}, 422),
        (named("nowhere"), anonymous, 404),
        (named("trosa-von"), anonymous, 404),  # a unit, not a municipality
        (named("x" * 65), anonymous, 422),
        (named("trosa"), anonymous | {"category": "fall"}, 422),  # not a feedback category
        (URL, anonymous, 409),  # two municipalities: the caller must name one
    ]
    for url, body, expected in refused:
        response = await client.post(url, json=body)
        assert response.status_code == expected, (url, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    unnamed = await client.post(URL, json=anonymous)
    assert unnamed.json()["type"].endswith("/municipality-required")
    assert "oxelosund, trosa" in unnamed.json()["detail"]
    assert await _count(app) == (3, 3)  # the refused ones stored nothing


async def test_the_rate_limit_counts_per_municipality_and_client(
    app: FastAPI, client: AsyncClient, both: None
) -> None:
    app.state.public_limiter = PublicRateLimiter(limit=3, window_seconds=600)
    oxelosund = {"message": "Hej hej", "anonymous": True}
    trosa = oxelosund | {"org_unit_id": "trosa-hemtjanst"}
    codes = [(await client.post(named("oxelosund"), json=oxelosund)).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    # the same client is not blocked at Trosa, which counts on its own
    assert [(await client.post(named("trosa"), json=trosa)).status_code for _ in range(4)] == [
        201,
        201,
        201,
        429,
    ]
    assert (await _count(app))[0] == 6


async def test_moving_window_counts_each_client_alone() -> None:
    limiter = PublicRateLimiter(limit=2, window_seconds=10)
    assert await limiter.hit("a") is None
    assert await limiter.hit("a") is None
    retry_after = await limiter.hit("a")
    assert retry_after is not None
    assert 1 <= retry_after <= 10
    assert await limiter.hit("b") is None


async def test_a_shared_redis_count_limits_across_processes() -> None:
    """Two limiters on one Redis (as two replicas would be) share one count per client."""
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not running on {REDIS}")
        pytest.skip(f"Redis is not running on {REDIS}")
    client = f"test-{uuid.uuid4()}"
    first = PublicRateLimiter(limit=3, window_seconds=60, storage=f"redis://{REDIS}")
    second = PublicRateLimiter(limit=3, window_seconds=60, storage=f"redis://{REDIS}")
    assert await first.hit(client) is None
    assert await second.hit(client) is None
    assert await first.hit(client) is None
    assert await second.hit(client) is not None
    assert await first.hit(f"{client}-other") is None


async def test_an_unreachable_store_lets_submissions_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = PublicRateLimiter(limit=1, window_seconds=60, storage="redis://127.0.0.1:9")
    assert await limiter.hit("a") is None
    assert await limiter.hit("a") is None
    assert "rate-limit storage unavailable" in caplog.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"message": "Hej hej", "anonymous": true}'),
        ("application/x-www-form-urlencoded", b"message=Hej+hej&anonymous=true"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("application/json", b""),
        ("application/json", b"\xff\xfe\x00garbage"),
        ("application/json; charset=latin-1", '{"message": "åäö"}'.encode("latin-1")),
    ],
)
async def test_odd_content_types_are_4xx(
    app: FastAPI, client: AsyncClient, org: None, content_type: str, body: bytes
) -> None:
    response = await client.post(URL, content=body, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert await _count(app) == (0, 0)


def _serve(database_url: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``styr-deviations serve`` as production starts it, on loopback."""
    env = (
        os.environ
        | {
            "STYR_DEVIATIONS_DATABASE_URL": database_url,
            "STYR_DEVIATIONS_PORT": str(port),
            "STYR_DEVIATIONS_GOALS_URL": "",
            "STYR_DEVIATIONS_LOG_LEVEL": "WARNING",
            "STYR_DEVIATIONS_PUBLIC_RATE_LIMIT": "2",
        }
        | env
    )
    command = [sys.executable, "-m", "styr_deviations.cli"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    return subprocess.Popen([*command, "serve"], env=env)


@pytest.mark.parametrize(
    ("proxies", "limited"),
    [
        ({}, True),  # nobody's proxy headers are believed: one client, limited
        ({"STYR_DEVIATIONS_FORWARDED_ALLOW_IPS": '["127.0.0.1"]'}, False),  # a trusted proxy
    ],
)
def test_a_rotating_forwarded_for_does_not_escape_the_rate_limit(
    database_url: str, proxies: dict[str, str], limited: bool
) -> None:
    """Over real HTTP with uvicorn as `serve` runs it: X-Forwarded-For from a peer that is no
    configured proxy does not change the client (uvicorn trusts 127.0.0.1 by default)."""
    port = free_port()
    process = _serve(database_url, port, proxies)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_up(f"{base}/healthz")
        codes = [
            httpx.post(
                base + URL,
                json={"message": "x"},  # invalid (too short), counted all the same
                headers={"X-Forwarded-For": f"203.0.113.{number}"},
            ).status_code
            for number in range(8)
        ]
    finally:
        stop(process)
    assert (codes.count(429) == 6) is limited, codes
