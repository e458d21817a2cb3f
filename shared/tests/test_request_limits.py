"""Hostile bodies and URLs get a clean 4xx before a parser or the database sees them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from styr_shared.jsonlimits import JsonLimitError, JsonScanner, unstorable_paths
from styr_shared.limits import RequestLimitsMiddleware
from styr_shared.testing import TokenFactory

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}


def _depth(document: object) -> int:
    if isinstance(document, list):
        return 1 + max((_depth(item) for item in document), default=0)
    if isinstance(document, dict):
        return 1 + max((_depth(item) for item in document.values()), default=0)
    return 0


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\\n é'),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='k[]{}"\\', max_size=4), inner, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None)
@given(document=json_documents, cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_the_scanner_measures_depth_in_any_chunking(document: object, cuts: list[int]) -> None:
    """Property: however the text is cut, the scanner refuses exactly the documents nested
    deeper than its limit, and ends balanced and outside any string otherwise."""
    text = json.dumps(document).encode()
    limit = 4
    scanner = JsonScanner(max_depth=limit)
    positions = [*sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    try:
        start = 0
        for end in positions:
            scanner.feed(text[start:end])
            start = end
    except JsonLimitError:
        assert _depth(document) > limit
    else:
        assert _depth(document) <= limit
        assert scanner.depth == 0
        assert not scanner.in_string


def test_a_long_string_across_chunks_is_refused() -> None:
    scanner = JsonScanner(max_string_bytes=1000)
    scanner.feed(b'["' + b"x" * 600)
    with pytest.raises(JsonLimitError):
        scanner.feed(b"\\n" * 300)


async def test_a_deeply_nested_body_is_400_at_once(
    probe: AsyncClient, tokens: TokenFactory
) -> None:
    for body in (b"[" * 33 + b"]" * 33, b'{"name": "x", "targets": ' + b"[" * 3000):
        response = await probe.post(
            "/api/v1/plans", content=body, headers=tokens.headers("planner") | JSON
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/json-too-complex")


async def test_deep_nesting_is_refused_in_a_chunked_body_too(
    probe: AsyncClient, tokens: TokenFactory
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"[["

    response = await probe.post(
        "/api/v1/plans", content=chunks(), headers=tokens.headers("planner") | JSON
    )
    assert response.status_code == 422


async def test_a_body_without_content_type_is_scanned(
    probe: AsyncClient, tokens: TokenFactory
) -> None:
    response = await probe.post(
        "/api/v1/plans", content=b"[" * 100, headers=tokens.headers("planner")
    )
    assert response.status_code == 422


async def test_nul_in_a_body_string_is_422_naming_the_field(
    probe: AsyncClient, tokens: TokenFactory
) -> None:
    for name, field in (("a\u0000b", "body.name"), ("\ud800", "body.name")):
        body = json.dumps({"name": name, "targets": []}).encode()
        response = await probe.post(
            "/api/v1/plans", content=body, headers=tokens.headers("planner") | JSON
        )
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
    # A proper surrogate pair (an emoji) is fine.
    body = json.dumps({"name": "\U0001f600", "targets": []}).encode()
    response = await probe.post(
        "/api/v1/plans", content=body, headers=tokens.headers("planner") | JSON
    )
    assert response.status_code == 201


async def test_nul_in_the_path_or_query_is_422(probe: AsyncClient, tokens: TokenFactory) -> None:
    response = await probe.get("/api/v1/plans%00x", headers=tokens.headers("planner"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path"
    response = await probe.get("/api/v1/boom?name=a%00b", headers=tokens.headers("planner"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.name"


def test_unstorable_paths_name_keys_and_values() -> None:
    document = {"a": [1, "x\u0000"], "b\u0000": 2, "c": {"d": "\udfff"}}
    assert list(unstorable_paths(document)) == ["a.1", "b\\u0000", "c.d"]


def test_a_long_number_across_chunks_is_refused() -> None:
    scanner = JsonScanner(max_string_bytes=1000)
    scanner.feed(b"[1, 2, " + b"9" * 600)
    with pytest.raises(JsonLimitError):
        scanner.feed(b"9" * 600)
    short = JsonScanner(max_string_bytes=1000)
    for _ in range(10):
        short.feed(b"[" + b"1234567890," * 90 + b"1]")  # many short numbers are fine


async def test_unstorable_bodies_are_checked_on_small_routes_not_on_uploads() -> None:
    """A route with a smaller limit (a public form) is checked like any other; an upload
    route (a larger limit) gets its body as sent, to report bad rows one by one."""

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    app = RequestLimitsMiddleware(
        echo, max_bytes=4096, overrides={"/public": 1024, "/import": 1 << 20}
    )
    body = json.dumps({"text": "a\u0000"}).encode()
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        for path, status in (("/x", 422), ("/public", 422), ("/import", 200)):
            response = await client.post(path, content=body, headers=JSON)
            assert response.status_code == status, path
