"""GraphQL errors with a machine-readable ``extensions.code``.

Two families:

- **Upstream errors**: a service answered with a problem (RFC 9457) or did not answer at all.
  :func:`from_problem` maps the HTTP status to a code, so a front end can react without parsing
  messages: 401 → ``UNAUTHENTICATED``, 403 → ``FORBIDDEN``, 404 → ``NOT_FOUND``,
  400/409/422 → ``BAD_USER_INPUT`` (with the problem's field errors), 5xx, timeouts and
  connection errors → ``UPSTREAM_UNAVAILABLE``. They are raised from resolvers, so they land at
  the failed field's path and the rest of the answer still comes back.
- **Request errors**: the document could not be parsed, did not validate, broke a limit or its
  variables did not coerce. Nothing was executed; :func:`classify_request_errors` gives them a
  code (``GRAPHQL_PARSE_FAILED``, ``QUERY_TOO_LARGE``, ``QUERY_TOO_DEEP``, ``QUERY_TOO_COSTLY``,
  ``TOO_MANY_ALIASES``,
  ``INTROSPECTION_DISABLED``, ``GRAPHQL_VALIDATION_FAILED``, ``BAD_USER_INPUT``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    BAD_REQUEST = "BAD_REQUEST"


STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_USER_INPUT,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.BAD_USER_INPUT,
    422: ErrorCode.BAD_USER_INPUT,
}


def code_for_status(status: int) -> ErrorCode:
    if status >= 500:
        return ErrorCode.UPSTREAM_UNAVAILABLE
    # Any other 4xx (405, 413, ...) means the gateway built a wrong request: our bug.
    return STATUS_CODES.get(status, ErrorCode.INTERNAL_SERVER_ERROR)


class GatewayError(GraphQLError):
    """A GraphQL error carrying ``extensions.code`` (and more extensions when useful)."""

    def __init__(self, message: str, code: ErrorCode, **extensions: Any) -> None:
        super().__init__(
            message,
            extensions={"code": code.value, **{k: v for k, v in extensions.items() if v}},
        )
        self.code = code


class UpstreamError(GatewayError):
    """A call to one of the services failed; ``extensions.service`` names it."""

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        service: str,
        status: int | None = None,
        field_errors: Sequence[Mapping[str, Any]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            code,
            service=service,
            status=status,
            fieldErrors=[dict(error) for error in field_errors] if field_errors else None,
            requestId=request_id,
        )
        self.service = service
        self.status = status


def bad_user_input(message: str, argument: str) -> GatewayError:
    """The gateway itself refuses an argument (before asking any service)."""
    return GatewayError(
        message,
        ErrorCode.BAD_USER_INPUT,
        fieldErrors=[{"field": argument, "message": message, "type": "invalid"}],
    )


def from_problem(
    service: str,
    status: int,
    problem: Mapping[str, Any] | None,
    field_names: Mapping[str, str] | None = None,
) -> UpstreamError:
    """Map a service's problem response to a GraphQL error.

    ``field_names`` renames the service's field paths (``query.cursor``) to the GraphQL
    argument the caller actually sent (``after``).
    """
    problem = problem or {}
    code = code_for_status(status)
    detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
    if code is ErrorCode.UPSTREAM_UNAVAILABLE:
        message = f"The {service} service failed ({status}): {detail}"
    else:
        message = str(detail)
    field_errors: list[dict[str, Any]] = []
    if code is ErrorCode.BAD_USER_INPUT:
        names = field_names or {}
        for error in problem.get("errors") or []:
            if not isinstance(error, Mapping):
                continue
            field = str(error.get("field", ""))
            field_errors.append(
                {
                    "field": names.get(field, field),
                    "message": str(error.get("message", "")),
                    "type": str(error.get("type", "invalid")),
                }
            )
    request_id = problem.get("request_id")
    return UpstreamError(
        message,
        code,
        service=service,
        status=status,
        field_errors=field_errors,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def unavailable(service: str, reason: str) -> UpstreamError:
    return UpstreamError(
        f"The {service} service is unavailable: {reason}",
        ErrorCode.UPSTREAM_UNAVAILABLE,
        service=service,
    )


# Messages of the limit rules (strawberry's QueryDepthLimiter and MaxAliasesLimiter, graphql-core's
# token limit and NoSchemaIntrospectionCustomRule). The limit tests pin them down.
_VALIDATION_CODES = (
    ("exceeds maximum operation depth", ErrorCode.QUERY_TOO_DEEP),
    ("aliases found. Allowed:", ErrorCode.TOO_MANY_ALIASES),
    ("introspection has been disabled", ErrorCode.INTROSPECTION_DISABLED),
)


def _request_error_code(error: GraphQLError, *, validated: bool) -> ErrorCode:
    if isinstance(error, GraphQLSyntaxError) or isinstance(
        error.original_error, GraphQLSyntaxError
    ):
        if "Document contains more than" in error.message:
            return ErrorCode.QUERY_TOO_LARGE
        return ErrorCode.GRAPHQL_PARSE_FAILED
    for fragment, code in _VALIDATION_CODES:
        if fragment in error.message:
            return code
    if validated:
        # The document was valid; what failed before execution is the variables' coercion.
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.GRAPHQL_VALIDATION_FAILED


def is_request_error(data: object, errors: Sequence[GraphQLError] | None) -> bool:
    """True when nothing was executed: no data and no error belongs to a field."""
    return data is None and bool(errors) and all(error.path is None for error in errors or ())


def classify_request_errors(errors: Sequence[GraphQLError], *, validated: bool) -> None:
    """Give every request error an ``extensions.code`` (in place).

    ``validated`` is False for errors from parsing and validation (strawberry's
    ``PreExecutionError``), True for those raised afterwards (variable coercion).
    """
    for error in errors:
        if error.extensions and "code" in error.extensions:
            continue
        code = _request_error_code(error, validated=validated)
        error.extensions = {**(error.extensions or {}), "code": code.value}
