"""Mint tokens in tests."""

from __future__ import annotations

from collections.abc import Iterable

from styr_shared.auth.minting import mint_token
from styr_shared.auth.principal import Role
from styr_shared.settings import AuthSettings


class TokenFactory:
    def __init__(self, settings: AuthSettings | None = None) -> None:
        self.settings = settings or AuthSettings()

    def token(
        self,
        *roles: Role | str,
        org_units: Iterable[str] = (),
        subject: str = "test-user",
        ttl_seconds: int = 3600,
        now: float | None = None,
    ) -> str:
        return mint_token(
            self.settings,
            subject=subject,
            roles=roles,
            org_units=org_units,
            ttl_seconds=ttl_seconds,
            now=now,
        )

    def headers(
        self, *roles: Role | str, org_units: Iterable[str] = (), subject: str = "test-user"
    ) -> dict[str, str]:
        token = self.token(*roles, org_units=org_units, subject=subject)
        return {"Authorization": f"Bearer {token}"}
