"""Bad input gets a clear 4xx problem naming the field, never a 500 with internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

from httpx import AsyncClient

from styr_shared.testing import TokenFactory

PROBLEM = "application/problem+json"


async def test_malformed_json_is_400(probe: AsyncClient, tokens: TokenFactory) -> None:
    response = await probe.post(
        "/api/v1/plans",
        content=b'{"name": "VP',
        headers=tokens.headers("planner") | {"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/malformed-json")


async def test_wrong_types_name_the_field(probe: AsyncClient, tokens: TokenFactory) -> None:
    body = {"name": "VP 2025", "targets": [{"year": "tjugo", "operator": ">="}]}
    response = await probe.post("/api/v1/plans", json=body, headers=tokens.headers("planner"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert [error["field"] for error in problem["errors"]] == ["body.targets.0.year"]
    assert "body.targets.0.year" in problem["detail"]


async def test_unknown_fields_are_refused(probe: AsyncClient, tokens: TokenFactory) -> None:
    response = await probe.post(
        "/api/v1/plans", json={"name": "VP", "nmae": "typo"}, headers=tokens.headers("planner")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.nmae"
    assert response.json()["errors"][0]["type"] == "extra_forbidden"


async def test_huge_bodies_are_413(probe: AsyncClient, tokens: TokenFactory) -> None:
    huge = {"name": "x", "targets": [{"year": 2025, "operator": ">="}] * 500}
    response = await probe.post("/api/v1/plans", json=huge, headers=tokens.headers("planner"))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_huge_chunked_bodies_are_413(probe: AsyncClient, tokens: TokenFactory) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    headers = tokens.headers("planner") | {"content-type": "application/json"}
    response = await probe.post("/api/v1/plans", content=chunks(), headers=headers)
    assert response.status_code == 413


async def test_unexpected_errors_are_500_problems_without_internals(probe: AsyncClient) -> None:
    response = await probe.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internal detail" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_method_not_allowed_lists_every_method_of_the_path(probe: AsyncClient) -> None:
    # GET and POST /plans are two routes; Starlette's 405 named only the first one's method
    response = await probe.delete("/api/v1/plans")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET, POST"


async def test_unknown_route_is_404_problem(probe: AsyncClient) -> None:
    response = await probe.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


async def test_request_id_is_echoed_or_generated(probe: AsyncClient) -> None:
    given = await probe.get(
        "/healthz", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"}
    )
    assert given.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"
    generated = await probe.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
