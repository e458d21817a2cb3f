"""The document cache: a document is parsed and validated once, its cost is computed on every
request with that request's variables, and what the cache keeps is bounded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from graphql import parse
from strawberry.schema.schema import validate_document

from styr_gateway.context import GatewayContext
from styr_gateway.documents import DocumentCache
from styr_gateway.schema import build_schema
from styr_gateway.settings import GatewaySettings
from styr_gateway.upstream import Upstream

GraphQL = Callable[..., Awaitable[httpx.Response]]
OPTIONS: dict[str, object] = {"max_tokens": 5000}


def test_the_cache_keeps_the_most_recently_used_documents_up_to_its_size() -> None:
    documents = DocumentCache(size=2, max_length=100)
    for query in ("{ a }", "{ b }"):
        documents.remember(query, OPTIONS, parse(query))
    assert documents.document("{ a }", OPTIONS) is not None  # a is now the most recent
    documents.remember("{ c }", OPTIONS, parse("{ c }"))
    assert len(documents) == 2
    assert documents.document("{ b }", OPTIONS) is None
    assert documents.document("{ a }", OPTIONS) is not None
    assert documents.document("{ c }", OPTIONS) is not None


def test_long_documents_and_other_parser_options_are_not_shared() -> None:
    documents = DocumentCache(size=8, max_length=10)
    long = "{ abcdefghij }"
    documents.remember(long, OPTIONS, parse(long))
    assert documents.document(long, OPTIONS) is None
    documents.remember("{ a }", OPTIONS, parse("{ a }"))
    assert documents.document("{ a }", {"max_tokens": 10}) is None
    assert DocumentCache(size=0).document("{ a }", OPTIONS) is None


def test_only_a_document_marked_valid_is_valid() -> None:
    documents = DocumentCache()
    assert not documents.is_valid("{ a }", OPTIONS)
    documents.mark_valid("{ a }", OPTIONS)  # not remembered: nothing to mark
    assert not documents.is_valid("{ a }", OPTIONS)
    documents.remember("{ a }", OPTIONS, parse("{ a }"))
    assert not documents.is_valid("{ a }", OPTIONS)
    documents.mark_valid("{ a }", OPTIONS)
    assert documents.is_valid("{ a }", OPTIONS)


def _context() -> GatewayContext:
    # No service is called: the documents ask only for __typename or fail validation.
    upstream = Upstream(httpx.AsyncClient(), GatewaySettings())
    return GatewayContext(upstream.session(None))


async def test_a_repeated_document_is_parsed_and_validated_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = build_schema(GatewaySettings())
    validations: list[object] = []

    def counting(*args: Any) -> Any:
        validations.append(args[1])
        return validate_document(*args)

    monkeypatch.setattr("styr_gateway.cost.validate_document", counting)
    query = "query Q { __typename }"
    for _ in range(3):
        result = await schema.execute(query, context_value=_context())
        assert result.errors is None
        assert result.data == {"__typename": "Query"}
    assert len(validations) == 1
    assert schema.documents is not None
    assert schema.documents.is_valid(query, OPTIONS)

    broken = "query Q { noSuchField }"
    for _ in range(2):
        result = await schema.execute(broken, context_value=_context())
        assert result.errors
        assert "noSuchField" in result.errors[0].message
    assert len(validations) == 3  # an invalid document is validated on every request


# --- over HTTP: the limits still apply to a cached document ---------------------------------


@pytest.fixture(scope="module")
def strict_gateway(make_gateway: Callable[..., Any], goals: Any) -> Iterator[str]:
    with make_gateway(goals_url=goals.url, max_query_depth=4, max_query_cost=50) as url:
        yield url


async def test_the_cost_of_a_cached_document_follows_each_requests_variables(
    strict_gateway: str, post: GraphQL, goals: Any, reader: dict[str, str]
) -> None:
    query = "query Q($n: Int!) { orgUnits(first: $n) { nodes { plans(year: 2024) { id } } } }"
    for n, code in ((5, None), (100, "QUERY_TOO_COSTLY"), (5, None), (100, "QUERY_TOO_COSTLY")):
        goals.recorder.requests.clear()
        body = (await post(strict_gateway, query, {"n": n}, headers=reader)).json()
        if code is None:
            assert "errors" not in body, body
            assert goals.recorder.api_calls(), "an accepted query reads the org tree"
        else:
            assert body["errors"][0]["extensions"]["code"] == code
            assert goals.recorder.api_calls() == []


async def test_a_document_refused_by_a_limit_is_refused_every_time(
    strict_gateway: str, post: GraphQL, reader: dict[str, str]
) -> None:
    deep = '{ orgUnit(id: "oxelosund") { children { nodes { children { nodes { id } } } } } }'
    for _ in range(3):
        body = (await post(strict_gateway, deep, headers=reader)).json()
        assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_DEEP"}
    for _ in range(2):
        body = (await post(strict_gateway, "{ orgUnit(", headers=reader)).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
