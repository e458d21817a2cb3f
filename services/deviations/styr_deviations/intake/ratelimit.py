"""The per-client rate limit of the public endpoint, on the `limits` library.

A moving window: at most ``limit`` attempts per client in any ``window_seconds``. The counts
live where ``storage`` says: ``memory://`` keeps them in the process (with several processes or
replicas each counts on its own, so the effective limit is the setting times their number);
``redis://host:6379`` shares one count between every process that uses the same Redis.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

logger = logging.getLogger(__name__)

NAMESPACE = "styr-deviations-public-feedback"


def async_storage_uri(uri: str) -> str:
    """``memory://`` → ``async+memory://``: the service is async, so is its storage."""
    return uri if uri.startswith("async+") else f"async+{uri}"


class PublicRateLimiter:
    def __init__(self, limit: int, window_seconds: int, storage: str = "memory://") -> None:
        self.item = RateLimitItemPerSecond(limit, window_seconds)
        backend = storage_from_string(async_storage_uri(storage), wrap_exceptions=True)
        self.limiter = MovingWindowRateLimiter(backend)

    async def hit(self, client: str) -> int | None:
        """Count one attempt; None if allowed, else whole seconds until the next one is.

        If the shared store cannot be reached the attempt is let through (and logged):
        a citizen's complaint matters more than a moment without flood protection.
        """
        try:
            if await self.limiter.hit(self.item, NAMESPACE, client):
                return None
            stats = await self.limiter.get_window_stats(self.item, NAMESPACE, client)
        except StorageError:
            logger.exception("rate-limit storage unavailable; letting the submission through")
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))
