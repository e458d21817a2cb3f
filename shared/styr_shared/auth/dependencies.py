"""FastAPI dependencies that authenticate the caller and check roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from styr_shared.auth.principal import Principal, Role
from styr_shared.auth.tokens import TokenVerifier
from styr_shared.errors import ForbiddenError, UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="A JWT; `make token ROLE=…` mints one.")


def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("A bearer token is required.")
    principal = await get_verifier(request).verify(credentials.credentials)
    if not principal.roles:
        # Every read is for some role; a token granting none this version knows reads nothing.
        raise ForbiddenError("The token grants no role this service knows.")
    request.state.principal = principal
    return principal


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency that lets through callers holding any of ``roles`` (admins always pass)."""

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.has_any_role(*roles):
            wanted = ", ".join(sorted(roles))
            raise ForbiddenError(f"This needs one of the roles: {wanted}.")
        return principal

    return dependency


authenticated = Annotated[Principal, Depends(get_principal)]
"""Any caller with a valid token."""
