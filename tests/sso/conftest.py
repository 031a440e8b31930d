"""A minimal OpenID Connect provider in a thread, for the relying party's checks.

It serves discovery, its keys and a token endpoint over real HTTP, and
answers a code with an ID token the test shapes (audience, times, nonce,
the key that signs it), so Portico's real validation runs on each.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from sso.models import IdentityProviderSettings

CLIENT_ID = "portico-test"
CLIENT_SECRET = "a-test-client-secret"


class FakeProvider:
    """Discovery, JWKS and a token endpoint; the authorization step is the test's."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "one"})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.claims: dict[str, Any] = {}
        # Changes the ID token the next code gets: fn(claims) -> claims.
        self.shape: Callable[[dict[str, Any]], dict[str, Any]] = lambda claims: claims
        self.signing_key: RSAKey = self.key
        self.replay: str | None = None
        self.issued: list[str] = []
        self.challenges: dict[str, tuple[str, str]] = {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                self._json(*provider.token(form, self.headers.get("Authorization", "")))

        return Handler

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, location: str) -> dict[str, str]:
        """What the provider's sign-in page would do: remember the request, give a code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert query["code_challenge_method"] == "S256"
        code = f"code-{len(self.challenges)}"
        self.challenges[code] = (query["code_challenge"], query["nonce"])
        return {"code": code, "state": query["state"]}

    def token(self, form: dict[str, str], authorization: str) -> tuple[dict[str, Any], int]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"error": "invalid_client"}, 401
        challenge, nonce = self.challenges.pop(form.get("code", ""), ("", ""))
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if not challenge or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            return {"error": "invalid_grant"}, 400
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.claims,
        }
        id_token = self.replay or jwt.encode(
            {"alg": "RS256", "kid": "one"}, self.shape(claims), self.signing_key
        )
        self.issued.append(id_token)
        return {"access_token": "at", "token_type": "Bearer", "id_token": id_token}, 200


@pytest.fixture
def fake_provider(settings: Any, db: None) -> Iterator[FakeProvider]:
    provider = FakeProvider()
    thread = threading.Thread(target=provider.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    cache.clear()
    settings.PORTICO_OIDC = {
        "name": "Contoso",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": None,
        "groups_claim": None,
    }
    provider.claims = {
        "sub": "subject-1",
        "email": "new.person@partner.example",
        "email_verified": True,
        "given_name": "New",
        "family_name": "Person",
        "groups": ["Partners-Directory"],
    }
    yield provider
    provider.server.shutdown()
    provider.server.server_close()
    cache.clear()


@pytest.fixture
def creates_accounts(db: None) -> IdentityProviderSettings:
    row = IdentityProviderSettings.load()
    row.creates_accounts = True
    row.save()
    return row


def sign_in_through(
    client: Client, provider: FakeProvider, *, next_path: str = "", **changes: str
) -> Any:
    """Start a sign-in, let the provider answer (changes alter its answer), open the callback."""
    start = reverse("portal:oidc_start") + (f"?next={next_path}" if next_path else "")
    response = client.get(start)
    assert response.status_code == 302, response
    answer = provider.authorize(response["Location"]) | changes
    return client.get(reverse("portal:oidc_callback"), answer)
