"""Abusive documents are refused before anything runs, with a clear message and a code;
introspection and GraphiQL follow the settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from styr_gateway.graphql_http import GRAPHQL_RESPONSE_JSON
from styr_gateway.settings import GatewaySettings

GraphQL = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
def strict_gateway(make_gateway: Callable[..., Any], goals: Any) -> Iterator[str]:
    with make_gateway(
        goals_url=goals.url,
        max_query_depth=4,
        max_aliases=2,
        max_tokens=120,
        max_query_length=1000,
        introspection=False,
        graphiql=False,
    ) as url:
        yield url


async def _request_error(url: str, post: GraphQL, query: str, **kwargs: Any) -> dict[str, Any]:
    response = await post(url, query, **kwargs)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body: dict[str, Any] = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    result: dict[str, Any] = error
    return result


async def test_depth_limit(strict_gateway: str, post: GraphQL, reader: dict[str, str]) -> None:
    deep = '{ orgUnit(id: "oxelosund") { children { nodes { children { nodes { id } } } } } }'
    error = await _request_error(strict_gateway, post, deep, headers=reader)
    assert error["extensions"] == {"code": "QUERY_TOO_DEEP"}
    assert error["message"] == "'anonymous' exceeds maximum operation depth of 4"

    shallow = '{ orgUnit(id: "oxelosund") { children { nodes { id } } } }'
    response = await post(strict_gateway, shallow, headers=reader)
    assert response.status_code == 200
    assert len(response.json()["data"]["orgUnit"]["children"]["nodes"]) == 2


async def test_alias_limit(strict_gateway: str, post: GraphQL) -> None:
    error = await _request_error(
        strict_gateway, post, "{ a: __typename b: __typename c: __typename }"
    )
    assert error["extensions"] == {"code": "TOO_MANY_ALIASES"}
    assert error["message"] == "3 aliases found. Allowed: 2"


async def test_token_limit(strict_gateway: str, post: GraphQL) -> None:
    query = "{ " + " ".join(["a"] * 130) + " }"  # short tokens: under the length limit
    error = await _request_error(strict_gateway, post, query)
    assert error["extensions"] == {"code": "QUERY_TOO_LARGE"}
    assert "Document contains more than 120 tokens" in error["message"]


async def test_length_limit(strict_gateway: str, post: GraphQL) -> None:
    query = "{ __typename }" + " " * 1000
    error = await _request_error(strict_gateway, post, query)
    assert error["extensions"] == {"code": "QUERY_TOO_LARGE"}
    assert error["message"] == "The document has 1014 characters; at most 1000 are accepted."


async def test_introspection_can_be_disabled(strict_gateway: str, post: GraphQL) -> None:
    error = await _request_error(strict_gateway, post, "{ __schema { description } }")
    assert error["extensions"] == {"code": "INTROSPECTION_DISABLED"}
    assert error["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field "
        "'__schema'."
    )
    # __typename is not introspection: clients use it to tell types apart.
    response = await post(strict_gateway, "{ __typename }")
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphiql_follows_the_setting(strict_gateway: str, gateway: str) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with httpx.AsyncClient() as client:
        on = await client.get(gateway, headers=browser)
        off = await client.get(strict_gateway, headers=browser)
    assert on.status_code == 200
    assert on.headers["content-type"].startswith("text/html")
    assert "graphiql" in on.text.lower()
    assert off.status_code == 404


def test_development_defaults_on_production_defaults_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GatewaySettings().introspection_enabled
    assert GatewaySettings().graphiql_enabled
    monkeypatch.setenv("STYR_AUTH_ENVIRONMENT", "production")
    monkeypatch.setenv("STYR_AUTH_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("STYR_AUTH_HS256_SECRET", "a-production-secret")
    production = GatewaySettings()
    assert not production.introspection_enabled
    assert not production.graphiql_enabled
    assert GatewaySettings(introspection=True).introspection_enabled


async def test_default_limits_let_graphiql_introspect(gateway: str, post: GraphQL) -> None:
    # GraphiQL's introspection query nests `ofType` deeply; the defaults must allow it.
    query = get_introspection_query(descriptions=True, specified_by_url=True)
    response = await post(gateway, query)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"query": "{ __typename \xff }"}', "invalid-utf8"),
        (b"\xff\xfe{}", "invalid-utf8"),
        (b"[" * 100_001, "json-too-complex"),
        (
            b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 40 + b"1" + b"}" * 41,
            "json-too-complex",
        ),
    ],
)
async def test_bodies_no_parser_should_see_are_4xx(
    gateway: str, reader: dict[str, str], body: bytes, problem: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            gateway, content=body, headers=reader | {"content-type": "application/json"}
        )
    # Not UTF-8: 400 (not JSON at all); nested too deep: 422 (refused for its shape).
    assert response.status_code == (400 if problem == "invalid-utf8" else 422), response.text
    assert response.json()["type"].endswith(f"/{problem}")


async def test_a_query_string_that_is_not_utf8_is_400(gateway: str, reader: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{gateway}?query=%7B__typename%FF%7D", headers=reader)
    assert response.status_code == 400, response.text
