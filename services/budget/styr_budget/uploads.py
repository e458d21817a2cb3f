"""File uploads of the import routes (ledger outcome, monthly budgets): the raw body or a
multipart form's ``file`` part, hashed as it arrives and spooled to disk past 1 MB."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, BinaryIO, cast

from fastapi import Query, Request
from starlette.datastructures import UploadFile

from styr_shared.errors import ProblemError

# A year's ledger export of a large municipality is about 45 MB (a million #TRANS rows).
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
SPOOL_IN_MEMORY_BYTES = 1024 * 1024  # larger uploads are spooled to a temporary file
CHUNK_BYTES = 1024 * 1024


def raw_body(media_type: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    }


class UnsupportedUploadError(ProblemError):
    status, slug = 415, "unsupported-media-type"


@dataclass
class Upload:
    file: BinaryIO
    sha256: str
    filename: str | None


@asynccontextmanager
async def receive_upload(request: Request, filename: str | None) -> AsyncIterator[Upload]:
    """The file of the request, hashed as it arrives and kept on disk past 1 MB: the raw body
    (spooled here), or the ``file`` part of a multipart form (a browser form, ``curl -F
    file=@…``; the form parser has spooled it already). Closed when the import is done."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    digest = hashlib.sha256()
    if content_type == "application/x-www-form-urlencoded":
        raise UnsupportedUploadError(
            "A url-encoded form carries no file: send the raw file as the request body "
            "(Content-Type: application/octet-stream), or a multipart form with a `file` part."
        )
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        try:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                part = next((v for v in form.values() if isinstance(v, UploadFile)), None)
            if part is None:
                raise UnsupportedUploadError(
                    "The form has no file part: send the file as the form's `file` part, or "
                    "the raw file as the request body (Content-Type: application/octet-stream)."
                )
            while chunk := await part.read(CHUNK_BYTES):
                digest.update(chunk)
            await part.seek(0)
            yield Upload(
                file=part.file,
                sha256=digest.hexdigest(),
                filename=filename or part.filename,
            )
        finally:
            await form.close()
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        async for chunk in request.stream():
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        yield Upload(file=cast(BinaryIO, spool), sha256=digest.hexdigest(), filename=filename)


class UnmappedAccounts(StrEnum):
    REFUSE = "refuse"
    SKIP = "skip"


UnmappedAccountsQuery = Annotated[
    UnmappedAccounts,
    Query(description="`skip`: result accounts outside every mapping are skipped."),
]
DefaultOrgUnitQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Org unit for rows whose objects name no mapped org unit (no object, or "
        "only unmapped objects).",
    ),
]
