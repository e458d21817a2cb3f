"""Request body size limit.

FastAPI's own ``max_body_size`` answers 413 in ``text/plain`` from outside every user
middleware, which would break our rule that every error is ``application/problem+json``;
this small ASGI middleware refuses a body larger than the service's ``max_body_bytes`` with a
413 problem instead, both when ``Content-Length`` announces it and when a chunked body grows
past it. Upload routes (nightly imports) get their own, larger limit by path suffix.
"""

from __future__ import annotations

import json

from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from styr_shared.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE


class BodyTooLargeError(Exception):
    pass


class BodySizeLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Path suffix -> limit, for upload endpoints that take whole nightly files.
        self.overrides = overrides or {}

    def _limit_for(self, path: str) -> int:
        for suffix, limit in self.overrides.items():
            if path.endswith(suffix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_too_large(send, limit)
                return

        received = 0
        exceeded = False
        answered = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks turn a failed body read into their own 400; answer 413 instead.
            nonlocal answered
            if not exceeded:
                answered = answered or message["type"] == "http.response.start"
                await send(message)
            elif not answered:
                answered = True
                await _send_too_large(send, limit)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLargeError:
            if not answered:
                await _send_too_large(send, limit)


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + "payload-too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body exceeds the limit of {limit} bytes.",
            "request_id": correlation_id.get(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
