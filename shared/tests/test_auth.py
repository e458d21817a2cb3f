"""Tokens: 401 without or with a bad token, 403 without the role, RS256 via a real JWKS URL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from httpx import AsyncClient
from pydantic import SecretStr, ValidationError
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from styr_shared.auth import Principal, Role, TokenVerifier, mint_token
from styr_shared.auth.cli import main as token_cli
from styr_shared.errors import UnauthorizedError
from styr_shared.settings import AuthSettings, Environment
from styr_shared.testing import TokenFactory, UvicornThread

BODY = {"name": "Verksamhetsplan 2025–2027"}


async def test_no_token_is_401(probe: AsyncClient) -> None:
    response = await probe.post("/api/v1/plans", json=BODY)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_without_the_role_is_403(probe: AsyncClient, tokens: TokenFactory) -> None:
    response = await probe.post("/api/v1/plans", json=BODY, headers=tokens.headers("reader"))
    assert response.status_code == 403
    assert "planner" in response.json()["detail"]


@pytest.mark.parametrize("role", ["planner", "admin"])
async def test_valid_token_with_the_role_passes(
    probe: AsyncClient, tokens: TokenFactory, role: str
) -> None:
    response = await probe.post(
        "/api/v1/plans", json=BODY, headers=tokens.headers(role, subject="anna")
    )
    assert response.status_code == 201
    assert response.json()["by"] == "anna"


async def test_expired_token_is_401(probe: AsyncClient, tokens: TokenFactory) -> None:
    expired = tokens.token("planner", ttl_seconds=60, now=time.time() - 3600)
    response = await probe.post(
        "/api/v1/plans", json=BODY, headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_token_signed_with_another_key_is_401(probe: AsyncClient) -> None:
    forged = TokenFactory(AuthSettings(hs256_secret=SecretStr("not-the-configured-secret"))).token(
        "admin"
    )
    response = await probe.post(
        "/api/v1/plans", json=BODY, headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


async def test_wrong_audience_and_garbage_are_401(probe: AsyncClient) -> None:
    other_audience = TokenFactory(AuthSettings(audience="another-system")).token("admin")
    for token in (other_audience, "not.a.jwt", ""):
        response = await probe.post(
            "/api/v1/plans", json=BODY, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token


def test_scope_covers_a_unit_through_its_ancestors() -> None:
    principal = Principal(
        subject="p", roles=frozenset({Role.PLANNER}), org_units=frozenset({"oxelosund-vof"})
    )
    assert principal.covers(["oxelosund-sabo", "oxelosund-ao", "oxelosund-vof", "oxelosund-von"])
    assert not principal.covers(["oxelosund-ks", "oxelosund"])
    admin = Principal(subject="a", roles=frozenset({Role.ADMIN}))
    assert admin.covers(["anything"])


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="JWKS"):
        AuthSettings(environment=Environment.PRODUCTION)
    with pytest.raises(ValidationError, match="development HS256 secret"):
        AuthSettings(environment=Environment.PRODUCTION, jwks_url="https://idp.example/jwks")


def test_token_cli_prints_a_verifiable_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert token_cli(["--role", "planner", "--org", "oxelosund-vof", "--subject", "kim"]) == 0
    token = capsys.readouterr().out.strip()
    settings = AuthSettings()
    claims = jwt.decode(
        token,
        settings.hs256_secret.get_secret_value(),
        algorithms=["HS256"],
        audience=settings.audience,
    )
    assert claims["roles"] == ["planner"]
    assert claims["org_units"] == ["oxelosund-vof"]
    assert claims["sub"] == "kim"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A real OIDC-style JWKS endpoint on a socket, as an issuer publishes it."""
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    public_jwk |= {"kid": "styr-test-1", "use": "sig", "alg": "RS256"}

    async def jwks(_: object) -> JSONResponse:
        return JSONResponse({"keys": [public_jwk]})

    with UvicornThread(Starlette(routes=[Route("/.well-known/jwks.json", jwks)])) as base_url:
        yield f"{base_url}/.well-known/jwks.json"


def _rs256(key: rsa.RSAPrivateKey, kid: str, **claims: object) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://idp.example",
        "aud": "styr",
        "sub": "u1",
        "iat": now,
        "exp": now + 300,
        "roles": ["reader"],
    } | claims
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


async def test_rs256_tokens_are_verified_against_the_jwks_url(
    rsa_key: rsa.RSAPrivateKey, jwks_url: str
) -> None:
    verifier = TokenVerifier(AuthSettings(jwks_url=jwks_url, issuer="https://idp.example"))
    principal = await verifier.verify(_rs256(rsa_key, "styr-test-1", org_units=["oxelosund-von"]))
    assert principal.roles == frozenset({Role.READER})
    assert principal.org_units == frozenset({"oxelosund-von"})

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(UnauthorizedError):
        await verifier.verify(_rs256(other_key, "styr-test-1"))
    with pytest.raises(UnauthorizedError, match="signing key"):
        await verifier.verify(_rs256(rsa_key, "unknown-kid"))
    # An HS256 token is refused when the service is configured for the issuer's keys.
    with pytest.raises(UnauthorizedError):
        await verifier.verify(mint_token(AuthSettings(), subject="x", roles=["admin"]))


def _signed(claims: dict[str, object]) -> dict[str, str]:
    settings = AuthSettings()
    now = int(time.time())
    full = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": "anna",
        "iat": now,
        "exp": now + 600,
        "roles": ["planner"],
    } | claims
    token = jwt.encode(full, settings.hs256_secret.get_secret_value(), algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": [{"admin": True}]},
        {"roles": "admin"},
        {"roles": [["planner"]]},
        {"org_units": [1, 2]},
        {"exp": str(int(time.time()) + 600)},
        {"exp": True},
        {"sub": "x" * 201},
        {"sub": 12},
        {"name": {"first": "Anna"}},
        # Lives longer than the configured maximum (24 h by default), with or without iat.
        {"exp": int(time.time()) + 10 * 365 * 86400},
        {"iat": int(time.time()) - 3 * 86400, "exp": int(time.time()) + 600},
    ],
)
async def test_claims_of_the_wrong_shape_are_401(
    probe: AsyncClient, claims: dict[str, object]
) -> None:
    assert (await probe.get("/api/v1/me", headers=_signed({}))).status_code == 200
    response = await probe.get("/api/v1/me", headers=_signed(claims))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_token_without_a_known_role_reads_nothing(probe: AsyncClient) -> None:
    for roles in ([], ["citizen"]):
        response = await probe.get("/api/v1/me", headers=_signed({"roles": roles}))
        assert response.status_code == 403, roles


async def test_an_oversized_authorization_header_is_431_at_once(
    probe: AsyncClient, tokens: TokenFactory
) -> None:
    token = tokens.token("planner")
    huge = {"Authorization": f"Bearer {token}{'A' * 4 * 1024 * 1024}"}
    started = time.perf_counter()
    response = await probe.get("/api/v1/me", headers=huge)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert time.perf_counter() - started < 1
    many = {f"x-filler-{number}": "y" * 4000 for number in range(20)}
    assert (await probe.get("/api/v1/me", headers=many)).status_code == 431
