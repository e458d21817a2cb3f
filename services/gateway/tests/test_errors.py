"""Service problems become GraphQL errors with ``extensions.code``, at the failed field's path,
and the rest of the answer still comes back: 401, 403, 404, 409, 422, 5xx, timeouts, a service
that is down."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from styr_gateway.errors import ErrorCode, UpstreamError
from styr_gateway.settings import GatewaySettings
from styr_gateway.upstream import Service, Upstream
from styr_shared.testing import UvicornThread

GraphQL = Callable[..., Awaitable[httpx.Response]]


async def _respond(send: Send, status: int, body: dict[str, Any], media: str) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", b"%d" % len(payload)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def problem_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A service that answers every unit lookup ``/org-units/s<status>`` with that problem."""
    if scope["type"] != "http":
        return
    status = int(scope["path"].rsplit("/s", 1)[-1])
    problem = {
        "type": "https://styr.se/problems/x",
        "title": "Problem",
        "status": status,
        "detail": f"detail of {status}",
        "request_id": "upstream-request-id",
        "errors": [{"field": "query.cursor", "message": "bad cursor", "type": "invalid"}],
    }
    await _respond(send, status, problem, "application/problem+json")


class DelayingProxy:
    """Forwards to a real service, but answers paths ending in ``suffix`` only after ``delay``."""

    def __init__(self, target: str, suffix: str, delay: float) -> None:
        self.target, self.suffix, self.delay = target, suffix, delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"].endswith(self.suffix):
            await asyncio.sleep(self.delay)
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k != b"host"}
        async with httpx.AsyncClient() as client:
            response = await client.request(
                scope["method"],
                self.target + scope["path"],
                params=scope["query_string"].decode(),
                headers=headers,
            )
        await _respond(
            send, response.status_code, response.json(), response.headers["content-type"]
        )


@pytest.fixture(scope="module")
def problem_gateway(make_gateway: Callable[..., Any]) -> Iterator[str]:
    with UvicornThread(problem_app) as upstream, make_gateway(goals_url=upstream) as url:
        yield url


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "BAD_USER_INPUT"),
        (401, "UNAUTHENTICATED"),
        (403, "FORBIDDEN"),
        (404, "NOT_FOUND"),
        (409, "BAD_USER_INPUT"),
        (422, "BAD_USER_INPUT"),
        (500, "UPSTREAM_UNAVAILABLE"),
        (503, "UPSTREAM_UNAVAILABLE"),
        (405, "INTERNAL_SERVER_ERROR"),
    ],
)
async def test_status_to_code(
    problem_gateway: str, post: GraphQL, reader: dict[str, str], status: int, code: str
) -> None:
    response = await post(
        problem_gateway, f'{{ __typename orgUnit(id: "s{status}") {{ id }} }}', headers=reader
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"__typename": "Query", "orgUnit": None}
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit"]
    extensions = error["extensions"]
    assert extensions["code"] == code
    assert extensions["service"] == "goals"
    assert extensions["status"] == status
    assert extensions["requestId"] == "upstream-request-id"
    if code == "BAD_USER_INPUT":
        assert error["message"] == f"detail of {status}"
        assert extensions["fieldErrors"] == [
            {"field": "query.cursor", "message": "bad cursor", "type": "invalid"}
        ]
    else:
        assert "fieldErrors" not in extensions
    if code == "UPSTREAM_UNAVAILABLE":
        assert error["message"] == f"The goals service failed ({status}): detail of {status}"


async def test_missing_token_is_unauthenticated_but_typename_and_introspection_work(
    gateway: str, post: GraphQL
) -> None:
    response = await post(
        gateway, '{ __typename __schema { queryType { name } } orgUnit(id: "oxelosund") { id } }'
    )
    body = response.json()
    assert body["data"] == {
        "__typename": "Query",
        "__schema": {"queryType": {"name": "Query"}},
        "orgUnit": None,
    }
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["status"] == 401
    assert error["message"] == "A bearer token is required."


async def test_invalid_token_is_unauthenticated(gateway: str, post: GraphQL) -> None:
    response = await post(
        gateway, "{ orgLevels { key } }", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_not_found_alone_and_in_a_batch(gql: GraphQL) -> None:
    alone = (await gql('{ orgUnit(id: "no-such-unit") { id } }')).json()
    assert alone["data"] == {"orgUnit": None}
    assert alone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert alone["errors"][0]["message"] == "Org unit 'no-such-unit' does not exist."

    # Two lookups in one tick are one batch; the missing one fails alone.
    batch = (
        await gql('{ a: orgUnit(id: "oxelosund-von") { code } b: orgUnit(id: "nope") { code } }')
    ).json()
    assert batch["data"] == {"a": {"code": "VON"}, "b": None}
    (error,) = batch["errors"]
    assert error["path"] == ["b"]
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_unprocessable_input_names_the_graphql_argument(gql: GraphQL) -> None:
    # A cursor of the gateway's format wrapping one the goals service refuses (422 query.cursor).
    forged = base64.urlsafe_b64encode(json.dumps(["garbage", 0]).encode()).decode()
    body = (
        await gql("query($a: String) { orgUnits(after: $a) { nodes { id } } }", {"a": forged})
    ).json()
    assert body["data"] == {"orgUnits": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["status"] == 422
    assert error["extensions"]["fieldErrors"] == [
        {"field": "after", "message": "not a cursor returned by this API", "type": "invalid"}
    ]


async def test_gateway_refuses_bad_arguments_itself(gql: GraphQL) -> None:
    body = (
        await gql(
            '{ orgUnits(first: 0) { nodes { id } } x: orgUnits(after: "%%") { nodes { id } } }'
        )
    ).json()
    assert body["data"] == {"orgUnits": None, "x": None}
    by_path = {error["path"][0]: error for error in body["errors"]}
    assert by_path["orgUnits"]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fieldErrors": [
            {"field": "first", "message": "must be between 1 and 500", "type": "invalid"}
        ],
    }
    assert by_path["x"]["extensions"]["fieldErrors"][0]["field"] == "after"


async def test_upstream_layer_maps_real_problems_of_the_goals_service(
    goals: Any, reader: dict[str, str], admin: dict[str, str]
) -> None:
    settings = GatewaySettings(goals_url=goals.url)
    async with httpx.AsyncClient() as client:
        upstream = Upstream(client, settings)
        body = {"id": "gw-test-unit", "code": "GWT", "name": "Test", "level": "unit"}

        with pytest.raises(UpstreamError) as forbidden:
            await upstream.session(reader["Authorization"]).request(
                "POST", Service.GOALS, "/api/v1/org-units", json=body
            )
        assert forbidden.value.code is ErrorCode.FORBIDDEN
        assert forbidden.value.status == 403

        as_admin = upstream.session(admin["Authorization"])
        with pytest.raises(UpstreamError) as invalid:
            await as_admin.request(
                "POST", Service.GOALS, "/api/v1/org-units", json={**body, "colour": "red"}
            )
        assert invalid.value.code is ErrorCode.BAD_USER_INPUT
        assert invalid.value.status == 422
        assert invalid.value.extensions is not None
        assert [e["field"] for e in invalid.value.extensions["fieldErrors"]] == ["body.colour"]

        with pytest.raises(UpstreamError) as conflict:
            await as_admin.request(
                "POST",
                Service.GOALS,
                "/api/v1/org-units",
                # Codes are unique within a municipality: a second VON under Oxelösund.
                json={**body, "code": "VON", "parent_id": "oxelosund"},
            )
        assert conflict.value.code is ErrorCode.BAD_USER_INPUT
        assert conflict.value.status == 409


async def test_slow_call_times_out_at_its_field_only(
    goals: Any, make_gateway: Callable[..., Any], post: GraphQL, reader: dict[str, str]
) -> None:
    proxy = DelayingProxy(goals.url, "/history", delay=1.5)
    with (
        UvicornThread(proxy) as slow,
        make_gateway(goals_url=slow, upstream_timeout_seconds=0.3) as url,
    ):
        started = time.monotonic()
        response = await post(
            url,
            '{ orgUnit(id: "oxelosund-von") { code history { kind } level { label } } }',
            headers=reader,
        )
        elapsed = time.monotonic() - started
    body = response.json()
    assert body["data"] == {
        "orgUnit": {"code": "VON", "history": None, "level": {"label": "Nämnd"}}
    }
    (error,) = body["errors"]
    assert error["path"] == ["orgUnit", "history"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "service": "goals"}
    assert error["message"] == "The goals service is unavailable: no answer within 0.3 s"
    assert elapsed < 1.2  # the timeout, not the slow service, decides


async def test_service_down(
    make_gateway: Callable[..., Any], post: GraphQL, reader: dict[str, str]
) -> None:
    with make_gateway(goals_url="http://127.0.0.1:9") as url:
        response = await post(url, '{ __typename orgUnit(id: "oxelosund") { id } }', headers=reader)
        async with httpx.AsyncClient() as client:
            ready = await client.get(url.removesuffix("/graphql") + "/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"__typename": "Query", "orgUnit": None}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "service": "goals"}
    assert error["message"].startswith("The goals service is unavailable: cannot be reached")
    assert ready.status_code == 503


UNIT = {
    "id": "x",
    "code": "X",
    "name": "X",
    "level": "unit",
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
}
CHANGE = {
    "seq": 1,
    "unit_id": "x",
    "kind": "exploded",  # not a kind the gateway knows: its own enum conversion fails
    "recorded_at": "2025-01-01T00:00:00Z",
    "recorded_by": "someone",
    "after": {},
}


def json_app(routes: dict[str, Any]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """A service answering fixed JSON per path (200), 404 elsewhere."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] in routes:
            await _respond(send, 200, routes[scope["path"]], "application/json")
        else:
            await _respond(send, 404, {"status": 404, "title": "Not Found"}, "application/json")

    return app


async def test_odd_answers_and_gateway_bugs(
    make_gateway: Callable[..., Any], post: GraphQL, reader: dict[str, str]
) -> None:
    routes = {
        "/api/v1/org-units/x": UNIT,
        "/api/v1/org-units/x/history": [CHANGE],
        "/api/v1/org-levels": {"not": "a list"},
        "/api/v1/org-units": {"items": "not a list"},
    }
    with (
        UvicornThread(json_app(routes)) as upstream,
        make_gateway(goals_url=upstream, upstream_stats=True) as url,
    ):
        response = await post(
            url,
            '{ orgUnit(id: "x") { code level { key } history { kind } } '
            "orgUnits { nodes { id } } }",
            headers=reader,
        )
    body = response.json()
    assert body["data"] == {
        "orgUnit": {"code": "X", "level": None, "history": None},
        "orgUnits": None,
    }
    errors = {tuple(error["path"]): error for error in body["errors"]}
    assert errors[("orgUnit", "level")]["extensions"] == {
        "code": "UPSTREAM_UNAVAILABLE",
        "service": "goals",
    }
    assert errors[("orgUnit", "level")]["message"] == (
        "The goals service is unavailable: answered with an unexpected shape (OrgLevelList)"
    )
    assert errors[("orgUnits",)]["message"] == (
        "The goals service is unavailable: /api/v1/org-units answered with something that is not "
        "a page"
    )
    # A bug in the gateway: the message is masked, the log has the traceback.
    history = errors[("orgUnit", "history")]
    assert history["message"] == (
        "Internal error in the gateway; the request id identifies it in the logs."
    )
    assert history["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert history["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "exploded" not in response.text
    # upstream_stats: one call each for the unit, its levels, its history and the list.
    assert body["extensions"]["upstream"]["calls"] == 4
