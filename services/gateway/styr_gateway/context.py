"""The per-request GraphQL context: the caller's upstream session and fresh loaders."""

from __future__ import annotations

import strawberry
from fastapi import Request
from strawberry.fastapi import BaseContext

from styr_gateway.loaders import Loaders
from styr_gateway.upstream import Upstream, UpstreamSession


class GatewayContext(BaseContext):
    def __init__(self, upstream: UpstreamSession) -> None:
        super().__init__()
        self.upstream = upstream
        self.loaders = Loaders.for_session(upstream)
        self.cost: int | None = None
        """The operation's cost (:mod:`styr_gateway.cost`), once computed."""


async def get_context(request: Request) -> GatewayContext:
    """FastAPI dependency: the token is forwarded as it came; the services judge it."""
    upstream: Upstream = request.app.state.upstream
    return GatewayContext(upstream.session(request.headers.get("authorization")))


Info = strawberry.Info[GatewayContext, None]
