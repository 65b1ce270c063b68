"""OIDC single sign-on for the dashboard (DESIGN §11): discovery, the authorization code flow with PKCE
(S256), and a verified id token mapped to an existing person.

- `begin()` makes a fresh state, nonce and PKCE verifier, keeps them server-side (only the state's hash
  is the key; each state is usable once, for ten minutes) and returns the issuer's authorization URL.
- `finish(code, state)` takes that login back, exchanges the code at the token endpoint with the
  verifier (authlib's OAuth2 client, client secret in HTTP Basic), then verifies the id token with the
  issuer's JWKS (joserfc): RS256 signature, `iss` equal to the configured issuer, `aud` holding our
  client id (and `azp` when there are several), `exp`/`iat`, and the nonce of this login.
- The person is the one linked to `<iss> <sub>`; on the first SSO sign-in, the person whose name equals
  the token's `preferred_username` is linked. SSO never creates accounts or grants roles: an admin creates
  the person (`purser admin create-user`), so the role and limit always come from Purser.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from purser.people.accounts import PeopleService
from purser.people.credentials import new_secret, secret_hash
from purser.people.errors import SsoError, SsoUnavailable
from purser.ports.people import OidcLogin, Person

log = logging.getLogger("purser.people")

LOGIN_TTL = timedelta(minutes=10)
"""How long a started SSO sign-in may take."""

CLOCK_SKEW = 60
"""Seconds of leeway on `exp`, `iat` and `nbf`."""

ALGORITHMS = ("RS256",)
"""Signature algorithms accepted on id tokens (never `none`, never HMAC with a public key)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OidcSignIn:
    """Sign-in with an OpenID Connect issuer, mapped onto Purser's people."""

    def __init__(
        self,
        people: PeopleService,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 10.0,  # float-ok: seconds
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`redirect_uri` is this server's callback, registered at the issuer."""
        self.people = people
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    # -- the flow ---------------------------------------------------------------------------------
    def begin(self) -> str:
        """A new sign-in: keep its state, nonce and PKCE verifier; return the authorization URL."""
        metadata = self.metadata()
        state, nonce, verifier = new_secret(), new_secret(), new_secret()
        self.people.repo.add_oidc_login(OidcLogin(secret_hash(state), nonce, verifier, self.clock()))
        with self._client() as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
            )
        return str(url)

    def finish(self, code: str, state: str) -> Person:
        """The person a callback's code proves; `SsoError` for an unknown, used or old state, a refused code or
        an id token that fails any check."""
        login = self.people.repo.take_oidc_login(secret_hash(state))
        if login is None:
            raise SsoError("unknown or already used sign-in state: start the SSO sign-in again")
        if self.clock() - login.created_at > LOGIN_TTL:
            raise SsoError("the SSO sign-in took too long: start it again")
        id_token = self._exchange(code, login)
        claims = self.verify_id_token(id_token, nonce=login.nonce)
        return self._person(claims)

    # -- the id token -----------------------------------------------------------------------------
    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of a valid id token for this client and this login's nonce; `SsoError` otherwise."""
        try:
            token = jwt.decode(id_token, self._key_set(id_token), algorithms=list(ALGORITHMS))
        except (JoseError, ValueError) as exc:
            raise SsoError(f"the id token's signature does not verify ({type(exc).__name__})") from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(self.clock().timestamp()),
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise SsoError(f"the id token was refused: {exc.error} ({exc.description or 'claim check'})") from None
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.client_id not in audiences:
            raise SsoError("the id token is for another client (aud)")
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise SsoError("the id token was issued to another party (azp)")
        if claims.get("nonce") != nonce:
            raise SsoError("the id token's nonce does not match this sign-in")
        return claims

    def _key_set(self, id_token: str) -> KeySet:
        keys = self._jwks(refresh=False)
        kid = _kid(id_token)
        if kid is not None and not any(k.kid == kid for k in keys.keys):
            keys = self._jwks(refresh=True)  # the issuer rotated its keys
        return keys

    # -- the issuer -------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (read once); `SsoError` when it is unreachable or not this issuer's."""
        with self._lock:
            if self._metadata is None:
                url = f"{self.issuer}/.well-known/openid-configuration"
                found = self._get_json(url)
                if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                    raise SsoError(f"the discovery document at {url} names another issuer")
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(key), str):
                        raise SsoError(f"the discovery document at {url} has no {key}")
                self._metadata = found
            return self._metadata

    def _jwks(self, *, refresh: bool) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise SsoError(f"the issuer's JWKS cannot be read ({type(exc).__name__})") from None
            return self._keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoUnavailable(f"the identity provider did not answer at {url} ({type(exc).__name__})") from None
        if not isinstance(body, dict):
            raise SsoError(f"{url} did not return a JSON object")
        return body

    def _client(self) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self._client_secret,
            scope="openid profile email",
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            timeout=self.timeout,
        )

    def _exchange(self, code: str, login: OidcLogin) -> str:
        metadata = self.metadata()
        try:
            with self._client() as client:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    code=code,
                    code_verifier=login.code_verifier,
                    grant_type="authorization_code",
                )
        except OAuth2Error as exc:
            raise SsoError(f"the identity provider refused the code ({exc.error})") from None
        except httpx.HTTPError as exc:
            raise SsoUnavailable(f"the token endpoint did not answer ({type(exc).__name__})") from None
        id_token = token.get("id_token") if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise SsoError("the token response has no id_token")
        return id_token

    def _person(self, claims: dict[str, Any]) -> Person:
        subject = f"{claims['iss']} {claims['sub']}"
        person = self.people.repo.by_subject(subject)
        if person is None:
            username = claims.get("preferred_username")
            candidate = self.people.approver(username) if isinstance(username, str) else None
            if candidate is not None and candidate.disabled:
                raise SsoError(f"{candidate.name}'s account is disabled")
            if candidate is None or candidate.oidc_subject is not None:
                raise SsoError(
                    f"no Purser account for {username or claims['sub']!r}: an admin creates it with "
                    "`purser admin create-user`"
                )
            person = self.people.link_subject(candidate, subject)
            log.info("SSO identity linked to %s", person.name)
        if person.disabled:
            raise SsoError(f"{person.name}'s account is disabled")
        return person


def _kid(id_token: str) -> str | None:
    try:
        header = extract_compact(id_token.encode("ascii")).protected
    except (JoseError, ValueError):  # a malformed token fails the signature check just after, with its message
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


__all__ = ["ALGORITHMS", "LOGIN_TTL", "OidcSignIn"]
