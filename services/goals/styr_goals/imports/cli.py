"""``styr import FILE``: post a night's file of measure values, for cron jobs.

Exit codes: 0 every row was accepted, 1 some rows were rejected (they are listed), 2 the file
was not accepted at all (bad file, no access, service unreachable). A summary line is always
printed; on a terminal a progress bar shows the upload. Retries after a network failure reuse
the same ``Idempotency-Key``, so a retried upload is never applied twice.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
}
CHUNK = 1 << 20
ATTEMPTS = 3
SHOWN_ERRORS = 20


def content_type_for(path: Path, fmt: str | None) -> tuple[str, bool]:
    """The content type to send and whether the file is gzip-compressed."""
    gzipped = path.suffix == ".gz"
    stem = Path(path.stem) if gzipped else path
    if fmt == "kolada":
        return "application/json", gzipped
    if fmt:
        return {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"}[
            fmt
        ], gzipped
    if stem.suffix not in CONTENT_TYPES:
        raise SystemExit(f"styr import: cannot tell the format of {path.name}; pass --format")
    return CONTENT_TYPES[stem.suffix], gzipped


def _chunks(path: Path, advance: Callable[[int], Any]) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            advance(len(chunk))
            yield chunk


def post_file(
    path: Path,
    *,
    url: str,
    token: str,
    params: dict[str, str],
    content_type: str,
    gzipped: bool,
    key: str,
    show_progress: bool,
) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": content_type,
        "Idempotency-Key": key,
    }
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    endpoint = url.rstrip("/") + "/api/v1/measure-values/import"
    size = path.stat().st_size
    console = Console(stderr=True)
    for attempt in range(1, ATTEMPTS + 1):
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            disable=not show_progress,
            transient=True,
        ) as progress:
            task = progress.add_task(f"uploading {path.name}", total=size)
            try:
                return httpx.post(
                    endpoint,
                    params=params,
                    headers=headers,
                    content=_chunks(path, partial(progress.advance, task)),
                    timeout=httpx.Timeout(30.0, read=3600.0),
                )
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise
                wait = 2**attempt
                console.print(f"styr import: {exc!r}; retrying in {wait} s with the same key")
                time.sleep(wait)
    raise AssertionError("unreachable")


def summary(path: Path, result: dict[str, Any], seconds: float) -> str:
    counts = result["counts"]
    total = sum(counts[key] for key in ("inserted", "updated", "unchanged", "rejected"))
    mode = " (dry run: nothing written)" if result.get("dry_run") else ""
    if result.get("outcome") == "rejected":
        mode = " (atomic: nothing written)"
    skipped = counts.get("skipped", 0)
    left_out = f", {skipped} skipped" if skipped else ""
    return (
        f"{path.name}: {total + skipped} rows: {counts['inserted']} inserted, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['rejected']} rejected{left_out}; run {result['id']} in {seconds:.1f} s{mode}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="styr", description="Styr command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="post a file of measure values to the goals service")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--url",
        default=os.environ.get("STYR_URL", "http://127.0.0.1:8001"),
        help="goals service base URL (env STYR_URL)",
    )
    imp.add_argument(
        "--token", default=os.environ.get("STYR_TOKEN"), help="bearer token (env STYR_TOKEN)"
    )
    imp.add_argument("--source", help="name of the delivering system, e.g. Viva")
    imp.add_argument(
        "--municipality",
        default=os.environ.get("STYR_MUNICIPALITY"),
        help="the municipality the file is for, e.g. oxelosund (env STYR_MUNICIPALITY); "
        "default: the only one your token works in",
    )
    imp.add_argument(
        "--format",
        choices=["csv", "json", "ndjson", "kolada"],
        help="default: from the file name (.csv, .json, .ndjson, optionally .gz)",
    )
    imp.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    imp.add_argument(
        "--atomic", action="store_true", help="reject the whole file if any row is bad"
    )
    imp.add_argument(
        "--strict",
        action="store_true",
        help="reject gender rows of a measure without a gender split (default: skip)",
    )
    args = parser.parse_args(argv)

    if not args.token:
        parser.error("a token is required (--token or STYR_TOKEN)")
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")
    content_type, gzipped = content_type_for(args.file, args.format)
    params = {"dry_run": str(args.dry_run).lower(), "atomic": str(args.atomic).lower()}
    if args.source:
        params["source"] = args.source
    if args.municipality:
        params["municipality"] = args.municipality
    if args.format == "kolada":
        params["format"] = "kolada"
    if args.strict:
        params["strict"] = "true"

    started = time.monotonic()
    try:
        response = post_file(
            args.file,
            url=args.url,
            token=args.token,
            params=params,
            content_type=content_type,
            gzipped=gzipped,
            key=uuid.uuid4().hex,
            show_progress=sys.stderr.isatty(),
        )
    except httpx.HTTPError as exc:
        print(f"{args.file.name}: not imported: {exc!r}")
        return 2
    seconds = time.monotonic() - started
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    # An atomic import refused for bad rows answers 422 with the run: list its rows. Every
    # other error (unreadable file, conflict, no access) imported nothing.
    if response.status_code >= 400 and body.get("outcome") != "rejected":
        reason = body.get("detail") or body.get("title")
        print(f"{args.file.name}: not imported: HTTP {response.status_code}: {reason}")
        return 2
    result = body
    for error in result["errors"][:SHOWN_ERRORS]:
        where = f"row {error['row']}" + (f", {error['field']}" if error.get("field") else "")
        raw = f" (got {error['value']!r})" if error.get("value") is not None else ""
        print(f"  {where}: {error['message']}{raw}")
    hidden = result["counts"]["rejected"] - min(len(result["errors"]), SHOWN_ERRORS)
    if hidden > 0:
        print(f"  … and {hidden} more rejected rows (GET /api/v1/import-runs/{result['id']})")
    print(summary(args.file, result, seconds))
    return 1 if result["counts"]["rejected"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
