"""A per-client sliding-window rate limit for the public endpoint.

It lives in the process's memory: with several processes or replicas each one counts on
its own, so the effective limit is the configured limit times the number of processes. Put a
shared limiter (the ingress or a proxy) in front when that matters.
"""

from __future__ import annotations

import math
import time
from collections import deque

MAX_CLIENTS = 50_000


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def _prune(self, now: float) -> None:
        cutoff = now - self.window
        for client in [c for c, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[client]

    def hit(self, client: str, now: float | None = None) -> float | None:
        """Count one request; returns None if allowed, else seconds until the next is."""
        now = time.monotonic() if now is None else now
        if len(self._hits) > MAX_CLIENTS:
            self._prune(now)
        hits = self._hits.setdefault(client, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1.0, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None
