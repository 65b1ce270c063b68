"""A small OpenID Connect provider on 127.0.0.1 for tests and try-outs of Purser's SSO sign-in.

It speaks the real wire format: discovery (`/.well-known/openid-configuration`), a JWKS (`/jwks`), the
authorization endpoint (`/authorize`: checks the client, the redirect URI and a PKCE S256 challenge, then
redirects back with a single-use code; the signed-in user is `provider.user`, no login page), and the
token endpoint (`/token`: client_secret_basic, the code, the redirect URI and the PKCE verifier) which
returns an RS256-signed id token carrying the nonce.

Tests make it misbehave on purpose: `tamper` overrides claims of the next id tokens (a wrong `iss`,
`aud`, `nonce`, an `exp` in the past) and `foreign_key` signs them with a key the JWKS does not hold.

    with LocalOidcProvider(client_id="purser", client_secret="s3cret") as idp:
        settings = Settings(oidc={"issuer": idp.issuer, "client_id": "purser", "client_secret": "s3cret"})
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["LocalOidcProvider"]


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: dict[str, Any]


class LocalOidcProvider:
    """An OIDC provider in a thread on 127.0.0.1 (a free port); use it in `with`."""

    def __init__(self, *, client_id: str, client_secret: str, kid: str = "local-1") -> None:
        """One registered client; signing keys are made fresh (RSA 2048)."""
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        self._foreign = RSAKey.generate_key(2048, parameters={"kid": kid})
        self.user: dict[str, Any] = {"sub": "user-1", "preferred_username": "alice"}
        """The claims of whoever signs in next."""
        self.tamper: dict[str, Any] = {}
        """Claims forced onto the next id tokens (a None value removes the claim)."""
        self.foreign_key = False
        """Sign id tokens with a key the JWKS does not publish."""
        self.token_requests: list[dict[str, str]] = []
        """Form bodies the token endpoint received (tests check PKCE and the redirect URI)."""
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-oidc", daemon=True)

    @property
    def issuer(self) -> str:
        """The issuer URL (`http://127.0.0.1:<port>`)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalOidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what the endpoints do ----------------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """(status, headers): a redirect back with a code, or 400 for a bad request (never to a bad URI)."""
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return 400, {}
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 400, {}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                self.client_id, query["redirect_uri"], query["code_challenge"], query.get("nonce"), dict(self.user)
            )
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) of the token endpoint."""
        self.token_requests.append(dict(form))
        if not self._client_ok(authorization):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
        if not verifier or not hmac.compare_digest(digest, grant.challenge):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "openid profile email",
            "id_token": self.id_token(grant.user, nonce=grant.nonce),
        }

    def id_token(self, user: dict[str, Any], *, nonce: str | None) -> str:
        """An RS256 id token for `user` (with `tamper` applied)."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, **user}
        if nonce is not None:
            claims["nonce"] = nonce
        for name, value in self.tamper.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self._foreign if self.foreign_key else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid or "", "typ": "JWT"}, claims, key)

    def _client_ok(self, authorization: str | None) -> bool:
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except ValueError:
            return False
        from urllib.parse import unquote_plus

        return hmac.compare_digest(unquote_plus(user), self.client_id) and hmac.compare_digest(
            unquote_plus(password), self.client_secret
        )


def _handler(provider: LocalOidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet: tests read results, not access logs
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, {"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, headers = provider.authorize(query)
                if status != 302:
                    self._json(status, {"error": "invalid_request"})
                    return
                self.send_response(302)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
            status, body = provider.token(form, self.headers.get("Authorization"))
            self._json(status, body)

    return Handler
