"""`styr-token`: mint a development token (what `make token ROLE=… ORG=…` runs)."""

from __future__ import annotations

import argparse
import sys

from styr_shared.auth.minting import mint_token
from styr_shared.auth.principal import Role
from styr_shared.settings import AuthSettings, Environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a development JWT for Styr.")
    parser.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[role.value for role in Role],
        help="role to grant (repeatable)",
    )
    parser.add_argument(
        "--org",
        action="append",
        default=[],
        help="org unit id the caller may act on, with everything under it (repeatable)",
    )
    parser.add_argument("--subject", default="dev-user", help="the `sub` claim")
    parser.add_argument("--name", default=None, help="display name")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    settings = AuthSettings()
    if settings.environment is Environment.PRODUCTION:
        print("refusing to mint tokens: STYR_AUTH_ENVIRONMENT=production", file=sys.stderr)
        return 2
    print(
        mint_token(
            settings,
            subject=args.subject,
            roles=args.role,
            org_units=args.org,
            name=args.name,
            ttl_seconds=args.ttl,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
