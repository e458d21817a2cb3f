"""RFC 9457 problem responses for every error a service returns.

Handlers turn validation errors, HTTP errors, our own domain errors and database integrity
errors into ``application/problem+json``. Validation problems list every offending field with
a dotted path (``targets.0.operator``) so a caller can point at the exact input.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://styr.se/problems/"

logger = logging.getLogger("styr.errors")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending input: `body.targets.0.year`.")
    message: str = Field(description="What is wrong with it, for a person.")
    type: str = Field(description="Machine-readable error kind, e.g. `missing`, `int_parsing`.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(
        default="about:blank",
        description="URI naming the kind of problem, `https://styr.se/problems/<slug>`.",
    )
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code, repeated.")
    detail: str | None = Field(default=None, description="What went wrong, for a person.")
    instance: str | None = Field(default=None, description="The path of the request.")
    request_id: str | None = Field(
        default=None, description="The request's `X-Request-ID`, which names it in the logs."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Each offending input field (validation problems)."
    )


class ProblemError(Exception):
    """Raise from service code to answer with a problem; no HTTP types leak into services."""

    status: int = 400
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})


class NotFoundError(ProblemError):
    status, slug = 404, "not-found"


class ConflictError(ProblemError):
    status, slug = 409, "conflict"


class UnauthorizedError(ProblemError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="styr"'})


class ForbiddenError(ProblemError):
    status, slug = 403, "forbidden"


class InvalidFieldError(ProblemError):
    """A domain rule rejected one field (beyond what the schema can say)."""

    status, slug = 422, "validation-error"

    def __init__(self, field: str, message: str, *, type_: str = "invalid") -> None:
        super().__init__(
            f"{field}: {message}", errors=[FieldError(field=field, message=message, type=type_)]
        )


def problem_response(
    status: int,
    *,
    slug: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    problem = Problem(
        type=PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        request_id=correlation_id.get(),
        errors=list(errors) if errors else None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def field_path(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(field=field_path(err.get("loc", ())), message=err["msg"], type=err["type"])
        for err in exc.errors()
    ]


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(error.type == "json_invalid" for error in errors):
        return problem_response(
            400,
            slug="malformed-json",
            detail="The request body is not valid JSON.",
            instance=request.url.path,
            errors=errors,
        )
    names = ", ".join(error.field for error in errors)
    return problem_response(
        422,
        slug="validation-error",
        detail=f"Invalid input: {names}",
        instance=request.url.path,
        errors=errors,
    )


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        slug=exc.slug,
        detail=exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
    )


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


DocumentedPath = tuple[re.Pattern[str], int, set[str]]


def _documented_paths(app: FastAPI) -> list[DocumentedPath]:
    paths: list[DocumentedPath] | None = getattr(app.state, "documented_paths", None)
    if paths is None:
        paths = []
        for template, operations in app.openapi().get("paths", {}).items():
            # /plans/{plan_id}/goals → ^/plans/[^/]+/goals$
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = {method.upper() for method in operations if method in HTTP_METHODS}
            paths.append((re.compile(f"^{pattern}$"), template.count("{"), methods))
        app.state.documented_paths = paths
    return paths


def allowed_methods(request: Request) -> str:
    """Every method the API documents at this path. Starlette's 405 names only the methods
    of the first route whose path matched, but a path often has a GET route and a POST route
    of its own (RFC 9110 §15.5.6: Allow lists the resource's methods). The OpenAPI document
    is the app's own list of paths and methods; a literal path (``/cases/overdue``) is its
    own resource, not an instance of a templated one (``/cases/{case_id}``)."""
    matching = [
        (parameters, methods)
        for pattern, parameters, methods in _documented_paths(request.app)
        if pattern.match(request.url.path)
    ]
    fewest = min((parameters for parameters, _ in matching), default=0)
    allowed = set().union(*(methods for parameters, methods in matching if parameters == fewest))
    return ", ".join(sorted(allowed))


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        exc.status_code, detail=detail, instance=request.url.path, headers=headers
    )


async def _handle_integrity(request: Request, exc: Exception) -> JSONResponse:
    # A constraint the service did not check first: the input conflicts with stored data.
    # Only the constraint is logged: the driver's message repeats the values (DETAIL: Key
    # (...)=(...)), which may be personal data.
    assert isinstance(exc, IntegrityError)
    constraint = getattr(exc.orig, "constraint_name", None) or type(exc.orig).__name__
    logger.warning("integrity error", extra={"constraint": constraint})
    return problem_response(
        409,
        slug="conflict",
        instance=request.url.path,
        detail="The request conflicts with existing data (a uniqueness or reference rule).",
    )


def _log_unhandled(exc: Exception) -> None:
    if isinstance(exc, StatementError):
        # The driver's message may quote the values (asyncpg: "invalid input for query
        # argument $1: '19121212-1212'"), which may be personal data: log the kind of error,
        # the SQL and where it happened, not the message.
        wrapped: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
        # asyncpg's errors come wrapped in the adapter's: name the driver's own.
        cause = wrapped.__cause__ or wrapped
        logger.error(
            "unhandled database error: %s",
            type(cause).__name__,
            extra={
                "statement": (exc.statement or "")[:1000],
                "traceback": "".join(traceback.format_tb(exc.__traceback__)),
            },
        )
    else:
        logger.exception("unhandled error")


class UnhandledErrorMiddleware:
    """Turns an exception no handler took into a 500 problem carrying the request id.

    Starlette answers those from its outermost middleware, outside the request-id and
    access-log middlewares; catching them here keeps both on the response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            _log_unhandled(exc)
            if started:
                raise
            response = problem_response(
                500,
                slug="internal-error",
                instance=scope.get("path"),
                detail="An unexpected error occurred; the request id identifies it in the logs.",
            )
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(IntegrityError, _handle_integrity)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for routes (or routers) that answer these statuses with a problem."""
    return {status: {"model": Problem} for status in statuses}


PROBLEM_RESPONSES = problem_responses(400, 401, 403, 404, 409, 413, 422, 500)
"""Every service app passes these as ``responses=``; :func:`document_problems` then files each
error response under ``application/problem+json``, as it is sent."""
UPLOAD_RESPONSES = problem_responses(415)
"""Routes that take a file: a body of a media type they do not read is 415."""

PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def _is_error_status(status: str) -> bool:
    return status[:1] in ("4", "5")


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Declare every 4xx and 5xx response of an OpenAPI document as what the service sends:
    ``application/problem+json`` with the Problem schema (and its ``errors[]``).

    FastAPI files a response model under the route's media type, ``application/json``, so
    clients generated from the document parsed our problems as nothing; routes that declare
    an error with only a description (413, 415, 429, 503, ...) had no schema at all.
    """
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in schemas:
        definition = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(definition.pop("$defs", {}))
        schemas["Problem"] = definition
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if _is_error_status(str(status)):
                    response["content"] = {
                        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}
                    }
    return openapi
