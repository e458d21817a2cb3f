"""Bearer-token auth: every service verifies the caller's JWT itself.

Claims: ``sub``, ``name``, ``roles`` (see :class:`Role`) and ``org_units``, the org unit ids the
caller may act on, each meaning that unit and everything under it. An ``admin`` with org units
is the admin of those subtrees (a municipality's admin names its root); an ``admin`` without
any is the deployment's operator and may act on everything. Missing or invalid tokens give
401; a valid token without the needed role or org scope gives 403.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from styr_shared.auth.dependencies import (
        authenticated,
        get_principal,
        get_verifier,
        require_roles,
    )
    from styr_shared.auth.minting import mint_token
    from styr_shared.auth.principal import Principal, Role
    from styr_shared.auth.tokens import TokenVerifier

# Loaded on first use, so that importing one light submodule (``styr-token`` needs only
# ``minting``) does not load FastAPI and SQLAlchemy through ``dependencies``.
_SOURCES = {
    "authenticated": "dependencies",
    "get_principal": "dependencies",
    "get_verifier": "dependencies",
    "require_roles": "dependencies",
    "Principal": "principal",
    "Role": "principal",
    "TokenVerifier": "tokens",
    "mint_token": "minting",
}


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_SOURCES[name]}"), name)


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
