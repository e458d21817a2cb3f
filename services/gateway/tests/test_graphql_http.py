"""GraphQL over HTTP: the graphql-http audit suite (strict) and the rules behind it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from styr_gateway.graphql_http import GRAPHQL_RESPONSE_JSON, JSON, negotiate

GraphQL = Callable[..., Awaitable[httpx.Response]]
AUDIT_DIR = Path(__file__).parent / "graphql_http_audit"


@pytest.fixture(scope="session")
def audit_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vendored audit, installed with ``npm ci`` into a temporary copy."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the graphql-http audit suite")
    workdir = tmp_path_factory.mktemp("graphql-http-audit")
    for name in ("audit.mjs", "package.json", "package-lock.json"):
        shutil.copyfile(AUDIT_DIR / name, workdir / name)
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=workdir,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installed.returncode != 0:
        pytest.fail(f"npm ci of the graphql-http audit failed:\n{installed.stderr}")
    return workdir / "audit.mjs"


def test_graphql_http_audit_passes_strictly(
    audit_script: Path, make_gateway: Callable[..., Any]
) -> None:
    # The audit only needs the endpoint itself: no service is called.
    with make_gateway(goals_url="http://127.0.0.1:9") as url:
        result = subprocess.run(
            [shutil.which("node") or "node", str(audit_script), url, "--strict"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (
        "graphql-http audit: 61 audits, 61 ok, 0 MUST failed, 0 SHOULD failed, 0 MAY failed"
        in output
    ), output


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("application/json;q=0.9, application/graphql-response+json;q=0.95", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0, */*", JSON),
        ("text/html", JSON),
    ],
)
def test_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


async def test_request_error_is_400_without_data_under_graphql_response_json(
    gateway: str, post: GraphQL
) -> None:
    response = await post(gateway, "{ orgUnit(id: ", accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_request_error_is_200_under_application_json(gateway: str, post: GraphQL) -> None:
    response = await post(gateway, "{ noSuchField }", accept=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_variables_that_do_not_coerce_are_bad_user_input(gateway: str, post: GraphQL) -> None:
    response = await post(gateway, "query Q($id: ID!) { orgUnit(id: $id) { id } }", {"id": None})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_field_errors_keep_data_and_status_200(gateway: str, post: GraphQL) -> None:
    # No token: the goals service says 401, which is a field error, not a request error.
    response = await post(gateway, '{ __typename orgUnit(id: "oxelosund") { id } }')
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert body["data"] == {"__typename": "Query", "orgUnit": None}
    assert body["errors"][0]["path"] == ["orgUnit"]


async def test_get_runs_queries_and_refuses_mutations(gateway: str, reader: dict[str, str]) -> None:
    async with httpx.AsyncClient() as client:
        ok = await client.get(
            gateway,
            params={
                "query": "query Q($id: ID!) { orgUnit(id: $id) { code } }",
                "variables": json.dumps({"id": "oxelosund-von"}),
            },
            headers={"Accept": GRAPHQL_RESPONSE_JSON, **reader},
        )
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"data": {"orgUnit": {"code": "VON"}}}

        mutation = await client.get(
            gateway,
            params={"query": "mutation { __typename }"},
            headers={"Accept": GRAPHQL_RESPONSE_JSON},
        )
        assert mutation.status_code == 405
        assert mutation.headers["allow"] == "POST"
        assert mutation.headers["content-type"] == GRAPHQL_RESPONSE_JSON
        assert mutation.json()["errors"][0]["message"] == "Mutations need POST, not GET."


async def test_malformed_json_is_a_graphql_shaped_400(gateway: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            gateway,
            content=b'{ "not a JSON',
            headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE_JSON},
        )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Unable to parse request body as JSON",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


async def test_responses_are_utf8_not_escaped(gql: GraphQL) -> None:
    response = await gql('{ orgUnit(id: "oxelosund-von") { name } }')
    assert "Vård- och omsorgsnämnden".encode() in response.content
