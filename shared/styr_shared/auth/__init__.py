"""Bearer-token auth: every service verifies the caller's JWT itself.

Claims: ``sub``, ``name``, ``roles`` (see :class:`Role`) and ``org_units``, the org unit ids the
caller may act on, each meaning that unit and everything under it. An ``admin`` may act on
everything. Missing or invalid tokens give 401; a valid token without the needed role or org
scope gives 403.
"""

from styr_shared.auth.dependencies import (
    authenticated,
    get_principal,
    get_verifier,
    require_roles,
)
from styr_shared.auth.principal import Principal, Role
from styr_shared.auth.tokens import TokenVerifier, mint_token

__all__ = [
    "Principal",
    "Role",
    "TokenVerifier",
    "authenticated",
    "get_principal",
    "get_verifier",
    "mint_token",
    "require_roles",
]
