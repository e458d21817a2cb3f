"""The browser pages every service serves (Swagger UI at ``/docs``, ReDoc at ``/redoc``, and
the gateway's GraphiQL) with every asset from the service itself: no CDN, so they work on a
closed municipal network, and under a strict Content-Security-Policy (no inline script, no
other origin).

The built assets (Swagger UI, ReDoc, GraphiQL, React, the fonts) come pinned from
``assets/package-lock.json``; ``scripts/vendor_assets.py`` copies them into ``static/vendor/``
(``make install``, the Dockerfile). Our own small files (the scripts that start each page, the
font faces) are in ``static/styr/``. Both are served under :data:`ASSETS_PATH`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"

# Scripts only from this origin and never inline; styles from this origin plus the inline
# styles Swagger UI, ReDoc and GraphiQL set on their elements (CSS cannot run code); fonts and
# images from this origin or inlined in the stylesheets (data:); ReDoc's search runs in a
# worker it starts from a blob.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class MissingAssetsError(RuntimeError):
    """The vendored assets are not installed (``make install`` was not run)."""


def asset(path: str) -> str:
    """The URL of a served asset, e.g. ``asset("vendor/redoc/redoc.standalone.js")``."""
    return f"{ASSETS_PATH}/{path}"


def page(
    title: str,
    *,
    styles: list[str],
    scripts: list[str],
    body: str,
) -> HTMLResponse:
    """An HTML page that loads only the given assets of this service."""
    links = "\n".join(f'<link rel="stylesheet" href="{escape(asset(s))}">' for s in styles)
    tags = "\n".join(f'<script src="{escape(asset(s))}"></script>' for s in scripts)
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{escape(asset("vendor/swagger-ui/favicon-32x32.png"))}">
{links}
</head>
<body>
{body}
{tags}
</body>
</html>
"""
    return HTMLResponse(html, headers=PAGE_HEADERS)


def mount_assets(app: FastAPI) -> None:
    """Serve ``static/`` under :data:`ASSETS_PATH`; refuse to start without the vendored
    files, which would otherwise show a blank page."""
    if not (STATIC_DIR / "vendor" / "MANIFEST.json").is_file():
        raise MissingAssetsError(
            f"{STATIC_DIR / 'vendor'} is missing: run `make install` "
            "(npm ci --prefix assets && python scripts/vendor_assets.py)"
        )
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="assets")


def install_docs(app: FastAPI, *, title: str) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) for the app's ``/openapi.json``."""
    mount_assets(app)
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return page(
            f"{title} – Swagger UI",
            styles=["vendor/swagger-ui/swagger-ui.css", "styr/docs.css"],
            scripts=["vendor/swagger-ui/swagger-ui-bundle.js", "styr/swagger-init.js"],
            body=f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>',
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return page(
            f"{title} – ReDoc",
            styles=["styr/fonts.css", "styr/docs.css"],
            scripts=["vendor/redoc/redoc.standalone.js"],
            body=f'<redoc spec-url="{escape(openapi_url)}"></redoc>',
        )


def graphiql_page(title: str) -> HTMLResponse:
    """GraphiQL for the GraphQL endpoint the page is served from."""
    return page(
        title,
        styles=["vendor/graphiql/graphiql.min.css", "styr/fonts.css", "styr/graphiql.css"],
        scripts=[
            "vendor/react/react.production.min.js",
            "vendor/react-dom/react-dom.production.min.js",
            "vendor/graphiql/graphiql.min.js",
            "styr/graphiql-init.js",
        ],
        body='<div id="graphiql">Loading…</div>',
    )
