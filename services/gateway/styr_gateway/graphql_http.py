"""GraphQL over HTTP, as the spec (graphql.github.io/graphql-over-http) asks.

Strawberry's FastAPI router answers ``application/json`` with status 200 for everything. This
subclass adds what the spec wants on top:

- the response media type follows ``Accept``: ``application/graphql-response+json`` when the
  client asks for it, ``application/json`` otherwise (also for ``*/*`` and a missing header);
- a *request error* (unparsable document, validation failure, broken limit, variables that do
  not coerce: nothing was executed) has no ``data`` entry, and is answered 400 under
  ``application/graphql-response+json`` (200 under ``application/json``, for legacy clients);
- a mutation over GET is 405 with ``Allow: POST``;
- the router's own refusals (bad JSON, missing query, ...) are GraphQL-shaped JSON, not text;
- request errors carry ``extensions.code`` (see :mod:`styr_gateway.errors`).

``graphql-http``'s audit suite checks all of it (``tests/test_graphql_http.py``).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from styr_gateway.context import GatewayContext, get_context
from styr_gateway.errors import (
    ErrorCode,
    GatewayError,
    classify_request_errors,
    is_request_error,
)
from styr_shared.docs import graphiql_page

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_PREFERENCE = {GRAPHQL_RESPONSE_JSON: 2, JSON: 1}


def negotiate(accept: str | None) -> str:
    """The response media type for an ``Accept`` header.

    The highest ``q`` wins; on a tie ``application/graphql-response+json`` beats
    ``application/json`` beats a wildcard (which means ``application/json``). A header naming
    neither gets ``application/json``: the spec lets a server ignore an unsatisfiable Accept.
    """
    best: tuple[float, int, str] | None = None
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media in _PREFERENCE:
            candidate = (quality, _PREFERENCE[media], media)
        elif media in ("*/*", "application/*"):
            candidate = (quality, 0, JSON)
        else:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else JSON


def _http_error_code(status: int) -> ErrorCode:
    if status == 404:
        return ErrorCode.NOT_FOUND
    return ErrorCode.BAD_REQUEST


class GraphQLHTTPRouter(GraphQLRouter[GatewayContext, None]):
    """Strawberry's router with spec-compliant media types, status codes and limits."""

    def __init__(self, schema: BaseSchema, *, graphiql: bool, max_query_length: int) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            context_getter=get_context,
            subscription_protocols=(),
        )
        self.max_query_length = max_query_length

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # Strawberry's page loads GraphiQL and React from a CDN; ours, from the gateway itself.
        return graphiql_page("Styr GraphQL – GraphiQL")

    async def get_sub_response(self, request: Request) -> Response:
        response = await super().get_sub_response(request)
        response.media_type = negotiate(request.headers.get("accept"))
        return response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: GatewayContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        query = request_data.query
        if query is not None and len(query) > self.max_query_length:
            error = GatewayError(
                f"The document has {len(query)} characters; at most "
                f"{self.max_query_length} are accepted.",
                ErrorCode.QUERY_TOO_LARGE,
            )
            result: ExecutionResult = PreExecutionError(data=None, errors=[error])
        else:
            try:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
            except HTTPException as exc:
                if request_adapter.method == "GET" and isinstance(
                    exc.__cause__, InvalidOperationTypeError
                ):
                    raise HTTPException(405, "Mutations need POST, not GET.") from exc
                raise
        if is_request_error(result.data, result.errors):
            assert result.errors is not None
            classify_request_errors(
                result.errors, validated=not isinstance(result, PreExecutionError)
            )
            if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = 400
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if is_request_error(result.data, result.errors):
            # Nothing was executed, so there is no data entry at all (not even null).
            response.pop("data", None)
        return response

    def encode_json(self, data: object) -> bytes:
        # UTF-8, not \u escapes: names are Swedish.
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = Response(
            self.encode_json(response_data),
            media_type=sub_response.media_type or JSON,
            status_code=sub_response.status_code or 200,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    async def run(  # type: ignore[override]  # strawberry overloads run for websockets too
        self, request: Request, context: Any = UNSET, root_value: Any = UNSET
    ) -> Response:
        try:
            response: Response = await super().run(request, context, root_value)
        except HTTPException as exc:
            headers = {"Allow": "POST"} if exc.status_code == 405 else {}
            body = {
                "errors": [
                    {
                        "message": exc.reason,
                        "extensions": {"code": _http_error_code(exc.status_code).value},
                    }
                ]
            }
            return Response(
                self.encode_json(body),
                status_code=exc.status_code,
                media_type=negotiate(request.headers.get("accept")),
                headers=headers,
            )
        return response
