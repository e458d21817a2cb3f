"""Services as their own processes, migrated and with their demo data, for end-to-end tests.

The goals service's org tree and the others' org replicas are different tables of the same
name, so the services cannot share one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from styr_shared.testing.servers import free_port, stop, wait_until_up


def _cli(service: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"styr_{service}.cli", *args]


@contextmanager
def service_process(service: str, database_url: str, goals_url: str) -> Iterator[str]:
    """Migrate, load the demo data and serve one service in its own process."""
    prefix = f"STYR_{service.upper()}_"
    port = free_port()
    env = os.environ | {
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}GOALS_URL": goals_url,
        f"{prefix}PORT": str(port),
        f"{prefix}LOG_LEVEL": "WARNING",
    }
    for step in ("migrate", "demo"):
        subprocess.run(_cli(service, step), env=env, check=True, capture_output=True)
    process = subprocess.Popen(_cli(service, "serve"), env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def wait_for(url: str, path: str, params: dict[str, Any], headers: dict[str, str]) -> None:
    """Until the service is up and its org replica knows the unit (it answers 200)."""
    answered = wait_until_up(
        f"{url}{path}?{urlencode(params)}", attempts=300, interval=0.2, headers=headers
    )
    assert answered, f"{url}{path} did not answer 200"
