"""Parse and validate a document once, not on every request that sends it.

A front end sends the same few documents over and over (the dashboard's is 1.5 kB); parsing and
validating one cost about a seventh of the gateway's CPU per dashboard (py-spy, before this
cache). The parse result and the verdict "valid" depend only on the document's text, the parser
options and the schema with its validation rules, which are fixed for the life of the schema;
variables do not enter (the cost check, which reads them, still runs on every request).

Bounded against a client sending many distinct documents: at most ``size`` entries (least
recently used out first), and only documents of at most ``max_length`` characters (a parsed
document holds some hundred bytes per token: 256 entries of 8 k characters stay in tens of MB).
Only a document that validated without errors is remembered as valid; an invalid one is
validated again on each request, so its errors are always those of the current rules.

strawberry's ``ParserCache``/``ValidationCache`` do not serve here: the validation cache is
keyed by the rule classes, and the depth and alias limiters create new rule classes for every
request, so it never hits; neither bounds the size of what it keeps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Generator, Mapping
from dataclasses import dataclass

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

DEFAULT_SIZE = 256
DEFAULT_MAX_LENGTH = 8192


@dataclass
class _Entry:
    document: DocumentNode
    valid: bool = False


class DocumentCache:
    """Parsed documents by their text and parser options, and whether each has validated."""

    def __init__(self, size: int = DEFAULT_SIZE, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.size = size
        self.max_length = max_length
        self._entries: OrderedDict[tuple[str, tuple[tuple[str, object], ...]], _Entry] = (
            OrderedDict()
        )
        # Resolvers run on one event loop, but sync views or tests may share a schema across
        # threads; an OrderedDict's move/pop pair is not atomic.
        self._lock = threading.Lock()

    @staticmethod
    def _key(
        query: str, options: Mapping[str, object]
    ) -> tuple[str, tuple[tuple[str, object], ...]]:
        return query, tuple(sorted(options.items()))

    def __len__(self) -> int:
        return len(self._entries)

    def document(self, query: str, options: Mapping[str, object]) -> DocumentNode | None:
        key = self._key(query, options)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry.document

    def remember(self, query: str, options: Mapping[str, object], document: DocumentNode) -> None:
        if len(query) > self.max_length or self.size <= 0:
            return
        key = self._key(query, options)
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = _Entry(document)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def is_valid(self, query: str, options: Mapping[str, object]) -> bool:
        with self._lock:
            entry = self._entries.get(self._key(query, options))
            return entry is not None and entry.valid

    def mark_valid(self, query: str, options: Mapping[str, object]) -> None:
        with self._lock:
            entry = self._entries.get(self._key(query, options))
            if entry is not None:
                entry.valid = True


class CachedParse(SchemaExtension):
    """Serve a remembered document instead of parsing; remember what strawberry parsed.

    Must come after the extensions that set parser options (``MaxTokensLimiter`` sets
    ``max_tokens`` when the operation starts), as the options are part of the key.
    """

    def __init__(self, *, documents: DocumentCache) -> None:
        self.documents = documents

    def on_parse(self) -> Generator[None]:
        context = self.execution_context
        query = context.query
        if query is not None and context.graphql_document is None:
            context.graphql_document = self.documents.document(query, context.parse_options)
        yield
        if query is not None and context.graphql_document is not None:
            self.documents.remember(query, context.parse_options, context.graphql_document)
