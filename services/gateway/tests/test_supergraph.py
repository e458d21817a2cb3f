"""Styr in a municipality's supergraph, proved with the real tools from npm.

``federation/federation.mjs`` (installed with ``npm ci`` from its lock into a temporary copy,
like the graphql-http audit) reads the running gateway's ``_service { sdl }``, composes it
with a small HR subgraph that extends ``OrgUnit`` with ``employeeCount``
(``@apollo/composition``), serves both behind ``@apollo/gateway`` and ``@apollo/server``, and
runs queries joining the two through ``OrgUnit``: the router forwards the caller's bearer
token to both subgraphs, and without one Styr's fields fail while the HR fields still answer.

Skipped when Node.js is missing, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from styr_shared.testing import TokenFactory

from .conftest import CLOSED_PORT_URL, Goals, gateway_server

FEDERATION_DIR = Path(__file__).parent / "federation"


def _node_and_npm() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "node and npm are needed to compose the supergraph"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message} (CI=true: not skipped)")
        pytest.skip(message)
    return node, npm


@pytest.fixture(scope="session")
def federation_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The composition script, installed with ``npm ci`` into a temporary copy."""
    _, npm = _node_and_npm()
    workdir = tmp_path_factory.mktemp("federation")
    for name in ("federation.mjs", "package.json", "package-lock.json"):
        shutil.copyfile(FEDERATION_DIR / name, workdir / name)
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
        cwd=workdir,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if installed.returncode != 0:
        pytest.fail(f"npm ci of the federation check failed:\n{installed.stderr}")
    return workdir / "federation.mjs"


@pytest.fixture(scope="session")
def subgraph(goals: Goals) -> Iterator[str]:
    """A gateway over the real goals service, as a router reaches it."""
    with gateway_server(
        goals_url=goals.url, budget_url=CLOSED_PORT_URL, deviations_url=CLOSED_PORT_URL
    ) as url:
        yield url


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    node, _ = _node_and_npm()
    return subprocess.run(
        [node, str(script), *args], capture_output=True, text=True, timeout=180, check=False
    )


def test_styr_composes_with_an_hr_subgraph_and_joins_through_org_units(
    federation_script: Path, subgraph: str, tokens: TokenFactory
) -> None:
    token = tokens.token("reader", org_units=["oxelosund"])
    result = _run(federation_script, subgraph, token)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["compositionErrors"] == []
    assert report["supergraphHasEmployeeCount"] is True

    # HR names the units; Styr adds their names and parents (Styr's `_entities`).
    from_hr = report["fromHr"]
    assert from_hr["status"] == 200
    assert "errors" not in from_hr["body"], from_hr["body"]
    assert from_hr["body"]["data"]["largestUnits"] == [
        {"id": "oxelosund-sabo", "employeeCount": 142, "name": "Särskilt boende", "code": "SÄBO",
         "parent": {"id": "oxelosund-ao", "name": "Sektion äldreomsorg"}},
        {"id": "oxelosund-hemtjanst", "employeeCount": 118, "name": "Hemtjänst", "code": "HT",
         "parent": {"id": "oxelosund-ao", "name": "Sektion äldreomsorg"}},
        {"id": "oxelosund-lss", "employeeCount": 64, "name": "LSS-verksamhet", "code": "LSS",
         "parent": {"id": "oxelosund-so", "name": "Sektion socialt stöd och omsorg"}},
    ]  # fmt: skip

    # Styr returns the units; HR adds their head counts (HR's `_entities`).
    from_styr = report["fromStyr"]["body"]
    assert "errors" not in from_styr, from_styr
    unit = from_styr["data"]["orgUnit"]
    assert unit["name"] == "Sektion äldreomsorg"
    assert unit["employeeCount"] == 0
    assert unit["children"]["nodes"] == [
        {"id": "oxelosund-hemtjanst", "name": "Hemtjänst", "employeeCount": 118},
        {"id": "oxelosund-hsl", "name": "Hälso- och sjukvård", "employeeCount": 37},
        {"id": "oxelosund-sabo", "name": "Särskilt boende", "employeeCount": 142},
    ]

    # The router forwarded the caller's token to HR as to Styr.
    assert f"Bearer {token}" in report["hrSawAuthorization"]

    # Without a token, Styr's services refuse: its non-null fields fail, and the answer with
    # them (the router's usual null propagation).
    without = report["withoutToken"]["body"]
    assert without.get("data") is None, without
    codes = {error.get("extensions", {}).get("code") for error in without["errors"]}
    assert "UNAUTHENTICATED" in codes, without
    assert None in report["hrSawAuthorization"]


def test_the_compose_command_prints_the_supergraph(federation_script: Path, subgraph: str) -> None:
    result = _run(federation_script, "compose", subgraph)
    assert result.returncode == 0, result.stderr
    supergraph = result.stdout
    assert '@join__type(graph: STYR, key: "id", resolvable: true)' in supergraph
    assert '@join__type(graph: HR, key: "id")' in supergraph
    assert "employeeCount: Int! @join__field(graph: HR)" in supergraph
