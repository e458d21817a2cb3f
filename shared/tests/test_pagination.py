from __future__ import annotations

import pytest

from styr_shared.errors import InvalidFieldError
from styr_shared.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    key = ["oxelosund-von", 42, "2024-12-01"]
    assert decode_cursor(encode_cursor(key), 3) == key


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor(["a"])])
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidFieldError):
        decode_cursor(cursor, 2)
