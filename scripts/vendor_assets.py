"""Copy the built browser assets the services serve (Swagger UI, ReDoc, GraphiQL, React and
the fonts) from ``assets/node_modules`` (``npm ci`` of ``assets/package-lock.json``) into
``shared/styr_shared/static/vendor/``, with each package's licence beside its files.

``make install`` runs it; the Dockerfile does the same in its build stage. Only these files are
served: the rest of ``node_modules`` (sources, maps, build tooling) stays out of the package.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "assets" / "node_modules"
TARGET = ROOT / "shared" / "styr_shared" / "static" / "vendor"

FONT_FILES = [
    f"files/{family}-latin-{weight}-normal.woff2"
    for family in ("montserrat", "roboto")
    for weight in (300, 400, 700)
]
# package -> (directory under vendor/, files copied from the package)
FILES: dict[str, tuple[str, list[str]]] = {
    "swagger-ui-dist": (
        "swagger-ui",
        ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"],
    ),
    "redoc": ("redoc", ["bundles/redoc.standalone.js", "LICENSE"]),
    "graphiql": ("graphiql", ["graphiql.min.js", "graphiql.min.css", "LICENSE"]),
    "react": ("react", ["umd/react.production.min.js", "LICENSE"]),
    "react-dom": ("react-dom", ["umd/react-dom.production.min.js", "LICENSE"]),
    "@fontsource/montserrat": ("fonts/montserrat", [*FONT_FILES[:3], "LICENSE"]),
    "@fontsource/roboto": ("fonts/roboto", [*FONT_FILES[3:], "LICENSE"]),
}


# ReDoc's sidebar footer loads its maker's logo from their CDN, the one remote URL it has: point
# it at an empty data URL instead (the component hides the image when it fails to load).
PATCHES: dict[str, list[tuple[str, str]]] = {
    "redoc/redoc.standalone.js": [('"https://cdn.redoc.ly/redoc/logo-mini.svg"', '"data:,"')],
}


def patch(path: Path, replacements: list[tuple[str, str]]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = []
    for old, new in replacements:
        if text.count(old) != 1:
            problems.append(f"{path.name}: expected {old} once, found it {text.count(old)} times")
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return problems


def vendor(node_modules: Path, target: Path) -> list[str]:
    """Copy every listed file; return the problems (missing packages or files)."""
    problems: list[str] = []
    if target.exists():
        shutil.rmtree(target)
    manifest: dict[str, dict[str, str]] = {}
    for package, (directory, files) in FILES.items():
        source = node_modules / package
        meta_path = source / "package.json"
        if not meta_path.is_file():
            problems.append(f"{package}: not installed (run `npm ci --prefix assets`)")
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        manifest[package] = {"version": meta["version"], "license": str(meta.get("license"))}
        for name in files:
            path = source / name
            if not path.is_file():
                problems.append(f"{package}: {name} missing")
                continue
            destination = target / directory / Path(name).name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    for name, replacements in PATCHES.items():
        if (target / name).is_file():
            problems += patch(target / name, replacements)
    target.mkdir(parents=True, exist_ok=True)
    (target / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=NODE_MODULES)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    problems = vendor(args.node_modules, args.target)
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
