"""Minting development tokens, apart from verifying them: ``styr-token`` (``make token``)
imports only this, PyJWT and the settings, not the web stack (FastAPI, SQLAlchemy) that
verification's errors bring, which took most of its second and a half."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import jwt

from styr_shared.auth.principal import Role
from styr_shared.settings import AuthSettings


def mint_token(
    settings: AuthSettings,
    *,
    subject: str,
    roles: Iterable[Role | str],
    org_units: Iterable[str] = (),
    name: str | None = None,
    ttl_seconds: int = 8 * 3600,
    now: float | None = None,
) -> str:
    """An HS256 token signed with the development secret (what `make token` prints)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "roles": [str(Role(role)) for role in roles],
        "org_units": list(org_units),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, settings.hs256_secret.get_secret_value(), algorithm="HS256")
