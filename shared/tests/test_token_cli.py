"""``styr-token`` (``make token``) is quick: it loads PyJWT and the settings, not the web stack.

Importing FastAPI and SQLAlchemy (through the auth package's verification side and the problem
handlers) was most of its ~2 s; minting needs neither."""

from __future__ import annotations

import json
import subprocess
import sys

from styr_shared.auth import TokenVerifier
from styr_shared.settings import AuthSettings

HEAVY = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "httpx")


def run(code: str) -> str:
    return subprocess.run(  # our interpreter, our code
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def test_token_cli_does_not_load_the_web_stack() -> None:
    loaded = json.loads(
        run(
            "import json, sys; import styr_shared.auth.cli; "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
        )
    )
    assert loaded == []


async def test_token_cli_mints_a_token_the_services_accept() -> None:
    token = run(
        "from styr_shared.auth.cli import main; "
        "main(['--role', 'planner', '--role', 'mas', '--org', 'oxelosund-vof'])"
    ).strip()
    principal = await TokenVerifier(AuthSettings()).verify(token)
    assert sorted(principal.roles) == ["mas", "planner"]  # StrEnum members
    assert principal.org_units == frozenset({"oxelosund-vof"})
