"""Pytest plugin loaded by every suite (entry point ``pytest11: styr``).

Fixtures:
- ``db_backend``: each backend in ``STYR_TEST_BACKENDS`` (default: sqlite and postgresql).
  A PostgreSQL server that is down skips its tests locally and fails them in CI (``CI=true``).
- ``database_url``: a fresh, empty database for the session on that backend, dropped afterwards.
- ``tokens``: a :class:`TokenFactory` for bearer tokens.
Marker ``postgresql_only`` skips a test on the SQLite run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from styr_shared.testing.database import (
    TEST_BACKENDS,
    PostgresUnavailableError,
    create_test_database,
    drop_test_database,
)
from styr_shared.testing.tokens import TokenFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session", params=TEST_BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(scope="session")
async def database_url(
    db_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    try:
        url = await create_test_database(db_backend, tmp_path_factory.mktemp(db_backend))
    except PostgresUnavailableError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL is not available: {exc}")
    yield url
    await drop_test_database(url)


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(autouse=True)
def _skip_other_backends(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("db_backend") if callspec else None
    for needed, name in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        if request.node.get_closest_marker(f"{needed}_only") and backend != needed:
            pytest.skip(f"needs {name}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL (skipped on SQLite)")
    config.addinivalue_line("markers", "sqlite_only: about SQLite (skipped on PostgreSQL)")
