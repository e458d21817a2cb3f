"""Clients generated from every service's OpenAPI document have every operation, and compile.

Python: openapi-python-client (a dev dependency of the workspace) with
``tests/clients/openapi-python-client.yaml``; the generated package is imported, module by
module. TypeScript: openapi-typescript from npm (``tests/clients/package.json``, installed by
``make install``), then ``tsc --strict``. Both must run without a warning: a generator that
cannot read an operation says so and leaves it out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from styr_shared.openapi import operations

from .conftest import OPENAPI_SERVICES, ROOT, openapi_document, openapi_text

CLIENTS = ROOT / "tests/clients"
PYTHON_CONFIG = CLIENTS / "openapi-python-client.yaml"
NODE_BIN = CLIENTS / "node_modules/.bin"
PYTHON_GENERATOR = Path(sys.executable).parent / "openapi-python-client"
KNOWN_MYPY_ERRORS = (
    # openapi-python-client 0.29 tests a body of several media types whose JSON form is an
    # array with `isinstance(body, list[Item])`, which Python refuses at run time: the
    # generated client can send the measure-value import as CSV or NDJSON, not as a JSON list.
    ("import_measure_values.py", "Parameterized generics cannot be used with class"),
)


def snake_case(identifier: str) -> str:
    """How openapi-python-client names an operation's module: ``listPlans`` -> ``list_plans``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", identifier).lower()


def run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our generators on our documents
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(params=OPENAPI_SERVICES)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from styr_shared.testing import TEST_BACKENDS

    if "sqlite" not in TEST_BACKENDS:
        pytest.skip("no storage involved: runs once, with the SQLite run (as make test has it)")
    (tmp_path / "openapi.json").write_text(openapi_text(request.param), encoding="utf-8")
    name: str = request.param
    return name


def node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: `make install` installs tests/clients from npm")
        pytest.skip(f"{tool} is missing (make install)")
    return tool


def test_python_client_has_every_operation_and_imports(service: str, tmp_path: Path) -> None:
    package = f"styr_{service}_client"
    generated = run(
        [
            PYTHON_GENERATOR,
            "generate",
            "--path",
            "openapi.json",
            "--output-path",
            package,
            "--meta",
            "none",
            "--config",
            PYTHON_CONFIG,
        ],
        cwd=tmp_path,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output  # e.g. "Endpoint will not be generated"
    modules = {path.stem for path in (tmp_path / package / "api").glob("*/*.py")}
    ids = [op["operationId"] for _, op in operations(openapi_document(service))]
    assert sorted(snake_case(i) for i in ids if snake_case(i) not in modules) == []
    # Compile check: the package and every operation's module import.
    imported = run(
        [
            sys.executable,
            "-c",
            "import importlib, pathlib; "
            f"import {package}.client, {package}.models; "
            f"paths = sorted(pathlib.Path('{package}/api').glob('*/*.py')); "
            "[importlib.import_module('.'.join(p.with_suffix('').parts)) for p in paths]; "
            "print(len(paths))",
        ],
        cwd=tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    assert int(imported.stdout) >= len(ids)
    # And type-checks (strict): catches a body the generator would send wrongly.
    checked = run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", ".mypy", package], cwd=tmp_path
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    known = [e for e in errors if any(f in e and m in e for f, m in KNOWN_MYPY_ERRORS)]
    assert [e for e in errors if e not in known] == []
    assert checked.returncode == (1 if errors else 0), checked.stdout + checked.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_typescript_client_has_every_operation_and_compiles(service: str, tmp_path: Path) -> None:
    generated = run(
        [node_tool("openapi-typescript"), "openapi.json", "--output", "schema.ts"], cwd=tmp_path
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert not re.search(r"warn|✘|error", output, re.IGNORECASE), output
    source = (tmp_path / "schema.ts").read_text(encoding="utf-8")
    operations_interface = source[source.index("export interface operations {") :]
    for where, operation in operations(openapi_document(service)):
        identifier = operation["operationId"]
        assert f'operations["{identifier}"]' in source, where
        assert f"\n    {identifier}: {{" in operations_interface, where
    compiled = run([node_tool("tsc"), "--noEmit", "--strict", "schema.ts"], cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
