"""Project-level tests: the scripts they check are loaded from ``scripts/`` by file."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"scripts/{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


OPENAPI_SERVICES = ("goals", "budget", "deviations", "gateway")
# One process per service: the goals service's org table and the others' org replica share a
# table name, so their models cannot be loaded side by side.
_DUMP = (
    "import json, sys; from styr_{0}.app import create_app; "
    "json.dump(create_app().openapi(), sys.stdout)"
)


@functools.cache
def openapi_text(service: str) -> str:
    """The OpenAPI document ``service`` serves, as JSON text (generated once per session)."""
    return subprocess.run(  # our interpreter, our code
        [sys.executable, "-c", _DUMP.format(service)], check=True, capture_output=True, text=True
    ).stdout


def openapi_document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(openapi_text(service))
    return document
