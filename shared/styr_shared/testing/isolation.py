"""Reads across municipalities: a table of a service's read endpoints and what a caller from
another municipality must get from each (403, or a list without the other's rows).

Each service's suite lists its reads; :func:`unlisted_reads` makes a new read endpoint fail
the suite until it is put in the table, so isolation cannot be forgotten for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient


@dataclass(frozen=True)
class Read:
    """One GET of one municipality's data.

    ``path`` is the concrete URL (its template is ``template``, the OpenAPI path). With
    ``owner`` set, the answer is a list (``items`` of a page, or the body) whose rows name their
    municipality through ``owner(row)``; a caller of another municipality gets only rows of its
    own. Without, the read is about one thing of the municipality and refused (403).
    """

    template: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    owner: Callable[[dict[str, Any]], str | None] | None = None


def get_paths(app: FastAPI, prefix: str = "/api/v1") -> set[str]:
    """The GET paths of the service's OpenAPI document under ``prefix``."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {path for path, ops in paths.items() if "get" in ops and path.startswith(prefix)}


def unlisted_reads(app: FastAPI, reads: Iterable[Read], exempt: Iterable[str]) -> set[str]:
    """GET paths in neither ``reads`` nor ``exempt``."""
    return get_paths(app) - {read.template for read in reads} - set(exempt)


def rows_of(body: Any) -> list[dict[str, Any]]:
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    assert isinstance(items, list), body
    return items


async def read_as(client: AsyncClient, read: Read, headers: dict[str, str]) -> Any:
    """The read's answer, asserting 200 or 403 (anything else is a failure of the table)."""
    response = await client.get(read.path, params=read.params, headers=headers)
    assert response.status_code in {200, 403}, (read.path, response.status_code, response.text)
    return response


async def assert_isolated(
    client: AsyncClient,
    read: Read,
    *,
    municipality: str,
    insider: dict[str, str],
    outsider: dict[str, str],
) -> None:
    """``insider`` (scoped to a unit of ``municipality``) reads it; ``outsider`` (scoped to
    another municipality) gets a 403, or a list without a row of ``municipality``."""
    inside = await read_as(client, read, insider)
    assert inside.status_code == 200, (read.path, inside.text)
    outside = await read_as(client, read, outsider)
    if read.owner is None:
        assert outside.status_code == 403, (read.path, outside.status_code, outside.text)
        assert outside.headers["content-type"].startswith("application/problem+json")
        return
    owners = [read.owner(row) for row in rows_of(inside.json())]
    # the insider's answer holds the municipality's rows: the outsider's check can fail
    assert municipality in owners, (read.path, owners)
    assert outside.status_code == 200, (read.path, outside.text)
    leaked = [row for row in rows_of(outside.json()) if read.owner(row) == municipality]
    assert not leaked, (read.path, leaked[:3])
