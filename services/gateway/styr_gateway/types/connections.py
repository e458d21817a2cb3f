"""Relay-style connections (forward pagination: ``first`` / ``after``).

Two kinds of cursor, both opaque to clients:

- over a list the gateway already holds (children of a unit): the last seen key;
- over a service's keyset-paginated list (``{items, next_cursor}``): the service's cursor of the
  page start plus how many items of that page were already delivered, so any edge can be resumed
  from and ``endCursor`` is the service's own ``next_cursor`` (no item is fetched twice).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from styr_gateway.errors import bad_user_input

T = TypeVar("T")
MAX_FIRST = 500


@strawberry.type(description="Where a page of a connection stands (forward pagination only).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether another page follows (ask with `after: endCursor`)."
    )
    has_previous_page: bool = strawberry.field(
        description="Always false: connections page forwards only."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the page's first edge.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="A node of a connection with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` to get the nodes after this one.")
    node: T = strawberry.field(description="The node.")


@strawberry.type(description="One page of a list, paged forwards with `first` and `after`.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's nodes with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")

    @strawberry.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def _encode(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad_user_input("not a cursor returned by this API", "after") from exc


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise bad_user_input(f"must be between 1 and {MAX_FIRST}", "first")


def build(nodes: Sequence[T], cursors: Sequence[str], has_next: bool) -> Connection[T]:
    edges = [Edge(cursor=c, node=n) for n, c in zip(nodes, cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=False,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )


def from_list(
    items: Sequence[T], key: Callable[[T], str], first: int, after: str | None
) -> Connection[T]:
    """A page of ``items`` (already ordered by ``key``), resuming after the cursor's key."""
    check_first(first)
    start = 0
    if after is not None:
        decoded = _decode(after)
        if not (isinstance(decoded, list) and len(decoded) == 1 and isinstance(decoded[0], str)):
            raise bad_user_input("not a cursor returned by this API", "after")
        start = next((i for i, item in enumerate(items) if key(item) > decoded[0]), len(items))
    page = list(items[start : start + first])
    return build(page, [_encode([key(item)]) for item in page], start + first < len(items))


def upstream_position(after: str | None) -> tuple[str | None, int]:
    """The service cursor to ask for and how many of its items to skip."""
    if after is None:
        return None, 0
    decoded = _decode(after)
    if not (
        isinstance(decoded, list)
        and len(decoded) == 2
        and (decoded[0] is None or isinstance(decoded[0], str))
        and isinstance(decoded[1], int)
        and 0 <= decoded[1] <= MAX_FIRST
    ):
        raise bad_user_input("not a cursor returned by this API", "after")
    return decoded[0], decoded[1]


def from_upstream_page(
    items: Sequence[T],
    page_cursor: str | None,
    skip: int,
    next_cursor: str | None,
    first: int,
) -> Connection[T]:
    """Edges for a service page fetched from ``page_cursor`` with ``limit = skip + first``
    (capped at the service's maximum: then the page is shorter, which Relay allows)."""
    page = list(items[skip : skip + first])
    cursors = [_encode([page_cursor, skip + index + 1]) for index in range(len(page))]
    if page and next_cursor is not None and skip + len(page) == len(items):
        cursors[-1] = _encode([next_cursor, 0])  # resume at the service's next page
    return build(page, cursors, next_cursor is not None or skip + len(page) < len(items))
