"""Timing a read and printing it against its target: one line per target, ``ok`` or ``MISSED``.

A figure is the median (p50) of ``repeat`` sequential requests after ``warmup`` unmeasured ones,
from a client on the same machine over the loopback: the latency a front end would see, with
the service's connection pool and caches (if any) warm.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx


class ScaleError(RuntimeError):
    """A request of the benchmark did not answer as it must: the figures would mean nothing."""


@dataclass(frozen=True)
class Figure:
    name: str
    milliseconds: float
    target_ms: float | None = None  # None: printed for comparison, no target of its own
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.target_ms is None or self.milliseconds <= self.target_ms

    def line(self) -> str:
        target = (
            f" (target ≤ {self.target_ms:.0f} ms: {'ok' if self.ok else 'MISSED'})"
            if self.target_ms is not None
            else ""
        )
        detail = f"; {self.detail}" if self.detail else ""
        return f"  {self.name}: p50 {self.milliseconds:.1f} ms{target}{detail}"


def p50_ms(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: Any = None,
    json: Any = None,
    method: str = "GET",
    repeat: int = 30,
    warmup: int = 5,
) -> float:
    """The median latency in ms of ``repeat`` sequential requests; ScaleError on a non-2xx."""
    latencies = []
    for index in range(warmup + repeat):
        started = time.perf_counter()
        response = client.request(method, url, headers=headers, params=params, json=json)
        elapsed = time.perf_counter() - started
        if response.status_code >= 300:
            raise ScaleError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        if index >= warmup:
            latencies.append(elapsed)
    return statistics.median(latencies) * 1000


def ratio_line(name: str, demo: Figure, scale: Figure) -> str:
    """The growth from the demo's size to the large municipality's, for the same kind of read."""
    return f"  {name}: scale / demo = {scale.milliseconds / demo.milliseconds:.2f}×"


def verdict(figures: list[Figure]) -> int:
    """Print the figures; 0 when every target was met, 1 otherwise (``make bench`` reports it)."""
    for figure in figures:
        print(figure.line(), flush=True)
    missed = [figure.name for figure in figures if not figure.ok]
    if missed:
        print(f"  MISSED: {', '.join(missed)}")
    return 1 if missed else 0
