"""Request limits every service applies before a route sees the request.

* Body size. FastAPI's own ``max_body_size`` answers 413 in ``text/plain`` from outside every
  user middleware, which would break our rule that every error is ``application/problem+json``;
  this small ASGI middleware refuses a body larger than the service's ``max_body_bytes`` with a
  413 problem instead, both when ``Content-Length`` announces it and when a chunked body grows
  past it. Upload routes (nightly imports) get their own, larger limit by path suffix.
* JSON shape. A JSON body (or one without a content type, which FastAPI parses as JSON) is
  scanned while it arrives: deeper than :data:`~styr_shared.jsonlimits.MAX_JSON_DEPTH` or a
  string or number longer than :data:`~styr_shared.jsonlimits.MAX_JSON_STRING_BYTES` is a
  422 before any parser runs (the parsers' memory and stack grow with the depth).
* Header size. A header larger than ``max_header_bytes`` (or all of them over eight times
  that) is a 431 at once, before a token is decoded.
* Unstorable text. A NUL character (PostgreSQL text cannot hold it) or a lone surrogate
  (asyncpg cannot encode it) in the path, the query or a JSON body's strings is a 422 naming
  the parameter or the body field, instead of a database error (500). Upload routes check
  their rows themselves (one bad row must not refuse a night's file).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qsl

from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from styr_shared.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from styr_shared.jsonlimits import (
    JsonLimitError,
    JsonScanner,
    may_hold_unstorable,
    unstorable,
    unstorable_paths,
)

UNSTORABLE_MESSAGE = "contains a NUL or an invalid (surrogate) character"


class BodyRejectedError(Exception):
    """Raised from the wrapped ``receive``: the request is answered with ``problem``."""

    def __init__(self, problem: dict[str, object]) -> None:
        super().__init__(problem.get("detail"))
        self.problem = problem


def _problem(
    status: int, slug: str, title: str, detail: str, errors: Sequence[dict[str, str]] = ()
) -> dict[str, object]:
    problem: dict[str, object] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        problem["errors"] = list(errors)
    return problem


def _too_large(limit: int) -> dict[str, object]:
    return _problem(
        413,
        "payload-too-large",
        "Content Too Large",
        f"The request body exceeds the limit of {limit} bytes.",
    )


def _unstorable(fields: Sequence[str]) -> dict[str, object]:
    return _problem(
        422,
        "validation-error",
        "Unprocessable Content",
        f"Invalid input: {', '.join(fields)}",
        [
            {"field": field, "message": UNSTORABLE_MESSAGE, "type": "unstorable_text"}
            for field in fields
        ],
    )


def _is_json(headers: dict[bytes, bytes]) -> bool:
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if not content_type:
        return True  # FastAPI parses a body without a content type as JSON
    return content_type == b"application/json" or (
        content_type.startswith(b"application/") and content_type.endswith(b"+json")
    )


def _not_utf8(what: str) -> dict[str, object]:
    return _problem(400, "invalid-utf8", "Bad Request", f"{what} is not valid UTF-8.")


def url_problem(scope: Scope) -> dict[str, object] | None:
    """A 400 for a query string that is not UTF-8, a 422 naming ``path`` or ``query.<name>``
    for unstorable text, or None."""
    fields = ["path"] if unstorable(scope["path"]) else []
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            return _not_utf8("The query string")
        for name, value in pairs:
            if unstorable(name) or unstorable(value):
                fields.append(f"query.{json.dumps(name)[1:-1]}")
    return _unstorable(fields) if fields else None


class RequestLimitsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        overrides: dict[str, int] | None = None,
        max_header_bytes: int = 8192,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes
        # Path suffix -> limit: larger for upload endpoints that take whole nightly files,
        # smaller for public ones.
        self.overrides = overrides or {}

    def _limit_for(self, path: str) -> int:
        for suffix, limit in self.overrides.items():
            if path.endswith(suffix):
                return limit
        return self.max_bytes

    def _oversized_header(self, headers: Sequence[tuple[bytes, bytes]]) -> str | None:
        """Which header is too large (a huge bearer token costs seconds to check), if any."""
        total = 0
        for name, value in headers:
            if len(value) > self.max_header_bytes:
                return f"The {name.decode('latin-1')[:40]} header"
            total += len(name) + len(value)
        return "The headers together" if total > 8 * self.max_header_bytes else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = self._oversized_header(scope["headers"])
        if too_large:
            await _send_problem(
                send,
                _problem(
                    431,
                    "header-too-large",
                    "Request Header Fields Too Large",
                    f"{too_large} exceeds the limit of {self.max_header_bytes} bytes.",
                ),
            )
            return
        limit = self._limit_for(scope["path"])
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _send_problem(send, _too_large(limit))
            return
        problem = url_problem(scope)
        if problem is not None:
            await _send_problem(send, problem)
            return
        identity = headers.get(b"content-encoding", b"identity").strip().lower() == b"identity"
        scanner = JsonScanner() if identity and _is_json(headers) else None
        # Bodies within the common limit are kept to find the field holding unstorable text;
        # upload routes (a larger limit) check their rows themselves.
        kept: list[bytes] | None = [] if scanner is not None and limit <= self.max_bytes else None

        received = 0
        rejection: dict[str, object] | None = None
        answered = False

        async def limited_receive() -> Message:
            nonlocal received, rejection
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            problem = None
            if received > limit:
                problem = _too_large(limit)
            elif scanner is not None:
                try:
                    scanner.feed(chunk)
                except JsonLimitError as exc:
                    # Well-formed, perhaps, but refused for its shape: 422, as for a schema.
                    problem = _problem(
                        422, "json-too-complex", "Unprocessable Content", f"The body: {exc}."
                    )
            if problem is None and kept is not None:
                kept.append(chunk)
                if not message.get("more_body", False):
                    problem = _body_problem(b"".join(kept))
            if problem is not None:
                rejection = problem
                raise BodyRejectedError(problem)
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks turn a failed body read into their own 400; answer ours instead.
            nonlocal answered
            if rejection is None:
                answered = answered or message["type"] == "http.response.start"
                await send(message)
            elif not answered:
                answered = True
                await _send_problem(send, rejection)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyRejectedError as exc:
            if not answered:
                await _send_problem(send, exc.problem)


def _body_problem(body: bytes) -> dict[str, object] | None:
    """For a whole small JSON body: a 400 when it is not UTF-8 (a parser would fail with a
    500), a 422 naming the fields holding unstorable text, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _not_utf8("The request body")
    if not may_hold_unstorable(body):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON: the route's parser answers 400
    fields = ["body." + path if path else "body" for path in unstorable_paths(document)]
    return _unstorable(fields) if fields else None


async def _send_problem(send: Send, problem: dict[str, object]) -> None:
    problem["request_id"] = correlation_id.get()
    body = json.dumps(problem).encode()
    status = problem["status"]
    assert isinstance(status, int)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
