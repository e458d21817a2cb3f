"""Streaming checks on JSON text before any parser sees it: nesting depth and value length.

Python's ``json`` recurses per nesting level and ijson keeps a path prefix per level (memory
quadratic in the depth: 100 001 ``[`` took a service to 22 GB), so a body's shape is checked
on the raw bytes, chunk by chunk, in constant memory: strings are cut out with one regular
expression (C speed), and only the brackets left are counted. The scanner does not validate
JSON; the parser that follows does. Also: which strings in a parsed document hold characters
no database column can store (NUL, lone surrogates).
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 32
"""The deepest nesting any of our JSON inputs needs is 4; 32 leaves room and stops bombs."""
MAX_JSON_STRING_BYTES = 1 << 20
"""No field of ours is anywhere near 1 MiB; a longer string would be held whole by a parser."""

# A complete string, escapes included (the "unrolled loop" form: no backtracking blow-up).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# The rest of a string begun in an earlier chunk, up to (not including) its closing quote.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
# One pass only: a pair formed by a removal stays (so the depth drops by at most one).
_INNERMOST = re.compile(rb"\{\}|\[\]")
_DELIMITER_SET = b'[]{},:" \t\r\n'
_DELIMITERS = re.compile(rb'[\[\]{},:" \t\r\n]')
_TOKEN_BYTES = bytes(b for b in range(256) if b not in _DELIMITER_SET)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Opening brackets to +1, closing to -1 (0xff as a signed byte).
_DELTAS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class JsonLimitError(ValueError):
    """The JSON text nests too deep or holds a string too long."""


class JsonScanner:
    """Feed JSON bytes in any chunking; raises :class:`JsonLimitError` at the first excess."""

    def __init__(
        self, max_depth: int = MAX_JSON_DEPTH, max_string_bytes: int = MAX_JSON_STRING_BYTES
    ) -> None:
        self.max_depth = max_depth
        self.max_string_bytes = max_string_bytes
        self.depth = 0
        self.in_string = False
        self.escape_pending = False
        self.string_bytes = 0
        self.token_bytes = 0  # length of the number or literal running at the chunk's end

    def feed(self, data: bytes) -> None:
        if self.in_string:
            data = self._continue_string(data)
            if self.in_string:
                return
            self.token_bytes = 0  # the string's closing quote ends any token
        if b"\\" not in data:
            # No escapes (the common case): every other piece between quotes is a string.
            pieces = data.split(b'"')
            outside = b"".join(pieces[::2])
            opened = len(outside) if len(pieces) % 2 == 0 else -1
            tail = pieces[-1] if opened >= 0 else b""
        else:
            outside = _STRING.sub(b"", data)
            # What is left of a quote now is a string still open at the end of the chunk: no
            # unescaped quote ends it, so the expression above cannot have matched inside it.
            opened = outside.find(b'"')
            tail = outside[opened + 1 :]
        if opened >= 0:
            self.in_string = True
            self.string_bytes = len(tail)
            self.escape_pending = (len(tail) - len(tail.rstrip(b"\\"))) % 2 == 1
            outside = outside[:opened]
            self._check_string()
        self._check_tokens(outside, ends_at_string=opened >= 0)
        self._count(outside.translate(None, _NOT_BRACKETS))

    def _check_tokens(self, outside: bytes, *, ends_at_string: bool) -> None:
        """Numbers and literals are bounded like strings (a parser holds a token whole)."""
        if self.token_bytes + len(outside) > self.max_string_bytes:
            runs = _DELIMITERS.split(outside)
            longest = max([self.token_bytes + len(runs[0]), *map(len, runs[1:])])
            if longest > self.max_string_bytes:
                raise JsonLimitError(f"a JSON value is longer than {self.max_string_bytes} bytes")
        trailing = len(outside) - len(outside.rstrip(_TOKEN_BYTES))
        if ends_at_string:
            self.token_bytes = 0
        elif trailing == len(outside):
            self.token_bytes += trailing
        else:
            self.token_bytes = trailing

    def _continue_string(self, data: bytes) -> bytes:
        start = 0
        if self.escape_pending:
            if not data:
                return data
            self.escape_pending, start = False, 1
        match = _STRING_REST.match(data, start)
        assert match is not None  # the pattern matches the empty string
        end = match.end()
        self.string_bytes += end
        self._check_string()
        if end == len(data):
            return b""
        if data[end : end + 1] == b"\\":  # a backslash ending the chunk
            self.escape_pending = True
            return b""
        self.in_string = False
        return data[end + 1 :]

    def _check_string(self) -> None:
        if self.string_bytes > self.max_string_bytes:
            raise JsonLimitError(f"a JSON string is longer than {self.max_string_bytes} bytes")

    def _count(self, brackets: bytes) -> None:
        if not brackets:
            return
        opening = brackets.count(b"[") + brackets.count(b"{")
        closing = len(brackets) - opening
        # Cheap bound first: dropping the innermost pairs ({} and [], the common case) lowers
        # the deepest point by at most one.
        inner = _INNERMOST.sub(b"", brackets)
        bound = self.depth + inner.count(b"[") + inner.count(b"{") + (inner != brackets)
        if bound > self.max_depth:
            deltas = array("b", brackets.translate(_DELTAS))
            if max(accumulate(deltas, initial=self.depth)) > self.max_depth:
                raise JsonLimitError(f"the JSON nests deeper than {self.max_depth} levels")
        # Malformed input (more closing than opening) is the parser's to report.
        self.depth = max(0, self.depth + opening - closing)


def check_json_shape(
    data: bytes, max_depth: int = MAX_JSON_DEPTH, max_string_bytes: int = MAX_JSON_STRING_BYTES
) -> None:
    JsonScanner(max_depth, max_string_bytes).feed(data)


_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


def may_hold_unstorable(body: bytes) -> bool:
    """Whether raw JSON text may decode to a NUL or a lone surrogate (cheap, may be wrong
    towards yes; :func:`unstorable_paths` decides)."""
    return b"\x00" in body or _SUSPECT_ESCAPE.search(body) is not None


def unstorable(value: str) -> bool:
    """A NUL (PostgreSQL text cannot hold it) or a lone surrogate (asyncpg cannot encode
    it)."""
    if "\x00" in value:
        return True
    return any("\ud800" <= char <= "\udfff" for char in value)


def unstorable_paths(document: Any, path: tuple[str | int, ...] = ()) -> Iterator[str]:
    """Dotted paths of the strings (keys included) in a parsed JSON document that no
    database column can store."""
    if isinstance(document, str):
        if unstorable(document):
            yield ".".join(str(part) for part in path)
    elif isinstance(document, dict):
        for key, value in document.items():
            if unstorable(key):
                # Named with the offending characters escaped, as JSON writes them.
                yield ".".join(str(part) for part in (*path, json.dumps(key)[1:-1]))
            else:
                yield from unstorable_paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from unstorable_paths(value, (*path, index))
