"""The command line every service has: ``styr-<service> migrate | demo | serve``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from styr_shared.db import Database
from styr_shared.settings import DatabaseServiceSettings, ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def service_main(
    settings_factory: Callable[[], S],
    app_factory: Callable[[S], FastAPI],
    migrate: Callable[[str], Coroutine[Any, Any, None]] | None = None,
    load_demo: Callable[[Database], Coroutine[Any, Any, bool]] | None = None,
    argv: list[str] | None = None,
) -> int:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"styr-{settings.service_name}")
    commands = parser.add_subparsers(dest="command", required=True)
    if migrate is not None:
        commands.add_parser("migrate", help="apply database migrations")
    if load_demo is not None:
        commands.add_parser("demo", help="load the demo data if the database is empty")
    commands.add_parser("serve", help="run the service with uvicorn")
    args = parser.parse_args(argv)

    if args.command == "migrate" and migrate is not None:
        assert isinstance(settings, DatabaseServiceSettings)
        asyncio.run(migrate(settings.database_url))
        print(f"{settings.service_name}: migrated {redact(settings.database_url)}")
    elif args.command == "demo" and load_demo is not None:
        assert isinstance(settings, DatabaseServiceSettings)
        loaded = asyncio.run(_load_demo(settings, load_demo))
        outcome = "demo data loaded" if loaded else "database not empty, demo data skipped"
        print(f"{settings.service_name}: {outcome}")
    elif args.command == "serve":
        app = app_factory(settings)
        uvicorn.run(app, log_config=None, **server_options(settings))
    return 0


def server_options(settings: ServiceSettings) -> dict[str, Any]:
    """Uvicorn's options: proxy headers only from the configured proxies (uvicorn's default
    trusts them from 127.0.0.1, which lets any local process, or a sidecar, choose its
    client address), and bounded header sizes where the HTTP implementation allows it."""
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        # A list, never None: None makes uvicorn read FORWARDED_ALLOW_IPS or trust 127.0.0.1.
        "forwarded_allow_ips": list(settings.forwarded_allow_ips),
        "http": str(settings.http_implementation),
        "h11_max_incomplete_event_size": settings.max_header_bytes * 8,
        "server_header": False,
    }


async def _load_demo(
    settings: DatabaseServiceSettings, load_demo: Callable[[Database], Coroutine[Any, Any, bool]]
) -> bool:
    database = Database(settings.database_url)
    try:
        return await load_demo(database)
    finally:
        await database.dispose()


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
