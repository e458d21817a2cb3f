"""Verifying JWTs with PyJWT (minting, for development, is in :mod:`styr_shared.auth.minting`)."""

from __future__ import annotations

import time
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
        self._check_lifetime(claims)
        return principal_from_claims(claims, token)

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        # PyJWT converts a numeric string `exp` silently; a claim of the wrong type is refused.
        for name in ("exp", "iat", "nbf"):
            if name in claims and not _is_number(claims[name]):
                raise UnauthorizedError(f"The token's {name} claim must be a number.")
        longest = self.settings.max_token_lifetime_seconds + self.settings.leeway_seconds
        exp = claims["exp"]
        if exp - claims.get("iat", exp) > longest or exp - time.time() > longest:
            raise UnauthorizedError(
                f"The token lives longer than {self.settings.max_token_lifetime_seconds} s."
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


MAX_CLAIM_CHARS = 200


def _strings(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name, [])
    if not isinstance(value, list) or not all(
        isinstance(item, str) and len(item) <= MAX_CLAIM_CHARS for item in value
    ):
        raise UnauthorizedError(f"The token's {name} claim must be a list of short strings.")
    return value


def principal_from_claims(claims: dict[str, Any], token: str = "") -> Principal:
    """The caller a verified token names; claims of the wrong shape are a 401, not a 500."""
    subject, name = claims.get("sub"), claims.get("name")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_CLAIM_CHARS:
        raise UnauthorizedError(
            f"The token's sub claim must be a string of 1 to {MAX_CLAIM_CHARS} characters."
        )
    if name is not None and (not isinstance(name, str) or len(name) > MAX_CLAIM_CHARS):
        raise UnauthorizedError(
            f"The token's name claim must be a string of at most {MAX_CLAIM_CHARS} characters."
        )
    raw_roles, raw_units = _strings(claims, "roles"), _strings(claims, "org_units")
    known = {role.value for role in Role}
    return Principal(
        subject=subject,
        name=name,
        # Roles this version does not know are ignored rather than failing the request.
        roles=frozenset(Role(role) for role in raw_roles if role in known),
        org_units=frozenset(raw_units),
        token=token,
    )
