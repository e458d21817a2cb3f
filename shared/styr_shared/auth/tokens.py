"""Minting (development) and verifying (always) JWTs with PyJWT."""

from __future__ import annotations

from typing import Any

import anyio
import jwt

from styr_shared.auth.principal import Principal, Role
from styr_shared.errors import UnauthorizedError
from styr_shared.settings import AuthSettings


class TokenVerifier:
    """Verifies bearer tokens: RS256 against the issuer's JWKS when configured, else HS256."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300)
            if settings.jwks_url
            else None
        )

    async def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            jwks = self._jwks
            # PyJWKClient fetches with blocking urllib; keep it off the event loop.
            signing_key = await anyio.to_thread.run_sync(jwks.get_signing_key_from_jwt, token)
            return signing_key.key, ["RS256"]
        return self.settings.hs256_secret.get_secret_value(), ["HS256"]

    async def verify(self, token: str) -> Principal:
        try:
            key, algorithms = await self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise UnauthorizedError("The token has expired.") from exc
        except jwt.PyJWKClientError as exc:
            raise UnauthorizedError(f"The token's signing key could not be found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise UnauthorizedError(f"The token is invalid: {exc}") from exc
        return principal_from_claims(claims, token)


def principal_from_claims(claims: dict[str, Any], token: str = "") -> Principal:
    raw_roles = claims.get("roles", [])
    raw_units = claims.get("org_units", [])
    if not isinstance(raw_roles, list) or not isinstance(raw_units, list):
        raise UnauthorizedError("The token's roles and org_units claims must be lists.")
    known = {role.value for role in Role}
    return Principal(
        subject=str(claims["sub"]),
        name=claims.get("name"),
        # Roles this version does not know are ignored rather than failing the request.
        roles=frozenset(Role(role) for role in raw_roles if role in known),
        org_units=frozenset(str(unit) for unit in raw_units),
        token=token,
    )
