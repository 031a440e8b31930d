"""The OpenID Connect relying party: discovery, the authorization request, the ID token checks.

authlib builds the authorization request (state, nonce, PKCE with S256)
and exchanges the code; joserfc (authlib's JOSE library) checks the ID
token's signature against the provider's published keys, and its claims
with at most CLOCK_LEEWAY seconds of clock skew.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from sso.models import Provider

CLOCK_LEEWAY = 60
HTTP_TIMEOUT = 10
DISCOVERY_SECONDS = 3600
# Signatures an ID token may carry: public-key ones only (never "none", nor
# HS256, whose key would be the client secret).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class SignInFailed(Exception):
    """The exchange with the provider went wrong; the message says what, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Pending:
    """What the start of a sign-in keeps in the session for the callback to check."""

    state: str
    nonce: str
    code_verifier: str
    next: str

    def as_session(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "next": self.next,
        }

    @classmethod
    def from_session(cls, value: Any) -> Pending | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(**{name: str(value[name]) for name in cls.__dataclass_fields__})
        except KeyError:
            return None


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInFailed(
            f"Portico couldn't reach the provider ({error.__class__.__name__})"
        ) from None
    if not isinstance(document, dict):
        raise SignInFailed("the provider's answer wasn't a JSON object")
    return document


def discovery(provider: Provider) -> dict[str, Any]:
    """The provider's metadata, read from the issuer's well-known address and kept an hour."""
    key = f"sso:discovery:{provider.issuer}"
    document = cache.get(key)
    if document is None:
        document = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
        # OpenID Connect Discovery 1.0, section 4.3: the metadata's issuer is the one asked.
        if str(document.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
            raise SignInFailed("the provider's metadata names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise SignInFailed(f"the provider's metadata has no {name}")
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def _keys(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    key = f"sso:jwks:{jwks_uri}"
    document = None if fresh else cache.get(key)
    if document is None:
        document = _get_json(jwks_uri)
        cache.set(key, document, DISCOVERY_SECONDS)
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise SignInFailed("the provider's signing keys couldn't be read") from None


def _session(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def start(provider: Provider, *, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    """The provider's authorization address, and what the callback will check."""
    metadata = discovery(provider)
    pending = Pending(
        state=generate_token(32),
        nonce=generate_token(32),
        code_verifier=generate_token(64),
        next=next_path,
    )
    with _session(provider, redirect_uri) as session:
        url, _ = session.create_authorization_url(
            metadata["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
    return url, pending


def finish(
    provider: Provider, *, pending: Pending, query: dict[str, str], redirect_uri: str
) -> tuple[str, dict[str, Any]]:
    """Check the provider's answer, exchange its code and validate the ID token.

    Returns the issuer and the ID token's claims.
    """
    if "error" in query:
        detail = query.get("error_description") or query["error"]
        raise SignInFailed(f"the provider refused the sign-in ({detail[:200]})")
    if not hmac.compare_digest(query.get("state", "").encode(), pending.state.encode()):
        raise SignInFailed("the answer didn't come from the sign-in this browser started")
    code = query.get("code", "")
    if not code:
        raise SignInFailed("the provider sent no authorization code")
    metadata = discovery(provider)
    try:
        with _session(provider, redirect_uri) as session:
            token = session.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
                timeout=HTTP_TIMEOUT,
            )
    except Exception as error:  # authlib raises its own OAuth errors and requests' ones
        raise SignInFailed(
            f"the provider didn't accept the authorization code ({error})"[:300]
        ) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed("the provider sent no ID token")
    issuer = str(metadata["issuer"])
    claims = validate_id_token(
        id_token,
        issuer=issuer,
        client_id=provider.client_id,
        nonce=pending.nonce,
        jwks_uri=metadata["jwks_uri"],
        algorithms=metadata.get("id_token_signing_alg_values_supported"),
    )
    return issuer, claims


def validate_id_token(
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    jwks_uri: str,
    algorithms: Any = None,
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce check out."""
    allowed = [name for name in SIGNING_ALGORITHMS if not algorithms or name in algorithms]
    try:
        try:
            decoded = jwt.decode(id_token, _keys(jwks_uri), algorithms=allowed)
        except (JoseError, ValueError):
            # The provider may have rotated its keys since they were read.
            decoded = jwt.decode(id_token, _keys(jwks_uri, fresh=True), algorithms=allowed)
    except BadSignatureError:
        raise SignInFailed("the ID token's signature doesn't match the provider's keys") from None
    except (JoseError, ValueError):
        raise SignInFailed("the ID token couldn't be read or isn't signed as expected") from None
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SignInFailed("the ID token has expired (check the server's clock)") from None
    except (InvalidClaimError, MissingClaimError) as error:
        raise SignInFailed(
            CLAIM_PROBLEMS.get(error.claim, f"the ID token's {error.claim} claim is wrong")
        ) from None
    except JoseError:
        raise SignInFailed("the ID token's claims aren't valid") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInFailed(CLAIM_PROBLEMS["aud"])
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise SignInFailed(
            "the ID token belongs to another sign-in (its nonce doesn't match: a replay?)"
        )
    return claims


CLAIM_PROBLEMS = {
    "iss": "the ID token comes from another issuer",
    "aud": "the ID token was issued to another application (wrong audience)",
    "iat": "the ID token says it was issued in the future (check the server's clock)",
    "exp": "the ID token has no valid expiry",
    "sub": "the ID token names nobody (no subject)",
}
