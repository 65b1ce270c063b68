"""Signed, single-use, expiring links (email confirmations, payment-method pages; DESIGN §9–§10).

A link is `PURSER_PUBLIC_URL/<path>/<token>` with `token = <id>.<signature>`: the id names a row
(`ch_tokens`: purpose, payload, expiry, used_at) and the signature is an HMAC over id, purpose and
expiry with the link secret (`link_secret`, else one generated once and kept in the database), so a
forged or altered token is refused before any lookup, and a stolen database row alone cannot be
turned into a working link. `peek` reads a link without using it (a GET page); `redeem` uses it
once (exactly one concurrent caller wins).

    LinkError                 400 link_invalid
     ├── LinkExpired          410 link_expired
     └── LinkUsed             409 link_used
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from purser.domain.dates import iso_utc, parse_iso_utc
from purser.errors import PurserError
from purser.ports.channels import ChannelRepository, LinkToken, LinkTokenId
from purser.ports.jobs import JsonScalar

__all__ = ["LinkError", "LinkExpired", "LinkUsed", "SignedLinks"]

_SECRET_NAME = "link_secret"
_MAX_TOKEN = 200


class LinkError(PurserError, ValueError):
    """A link that is not one of ours (malformed, forged, or for another page); nothing changed."""

    code = "link_invalid"
    status = 400


class LinkExpired(LinkError):
    """The link is past its expiry; nothing changed."""

    code = "link_expired"
    status = 410


class LinkUsed(LinkError):
    """The link was used already (links work once); nothing changed."""

    code = "link_used"
    status = 409


class SignedLinks:
    """Issue, read and use signed single-use links."""

    def __init__(
        self,
        repo: ChannelRepository,
        *,
        public_url: str,
        secret: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repo = repo
        self.public_url = public_url.rstrip("/")
        self._secret = secret
        self.clock = clock

    def _key(self) -> bytes:
        if self._secret is None:
            self._secret = self.repo.secret(_SECRET_NAME, secrets.token_hex(32))
        return self._secret.encode()

    def _sign(self, token_id: str, purpose: str, expires_at: str) -> str:
        message = f"{token_id}|{purpose}|{expires_at}".encode()
        return hmac.new(self._key(), message, hashlib.sha256).hexdigest()[:40]

    def issue(self, purpose: str, payload: Mapping[str, JsonScalar], *, ttl: timedelta, path: str) -> str:
        """A new link to `PURSER_PUBLIC_URL/{path}/{token}` carrying `payload`, valid for `ttl`."""
        token_id = LinkTokenId("lnk_" + secrets.token_urlsafe(18))
        expires_at = iso_utc(self.clock() + ttl)
        body = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"))
        self.repo.save_token(LinkToken(id=token_id, purpose=purpose, payload=body, expires_at=expires_at, used_at=None))
        token = f"{token_id}.{self._sign(token_id, purpose, expires_at)}"
        return f"{self.public_url}/{path.strip('/')}/{token}"

    def _row(self, purpose: str, token: str) -> LinkToken:
        if not token or len(token) > _MAX_TOKEN or token.count(".") != 1:
            raise LinkError("this link is not valid")
        token_id, signature = token.split(".")
        row = self.repo.token(LinkTokenId(token_id))
        if row is None or row.purpose != purpose:
            raise LinkError("this link is not valid")
        if not hmac.compare_digest(signature, self._sign(row.id, row.purpose, row.expires_at)):
            raise LinkError("this link is not valid")
        if row.used_at is not None:
            raise LinkUsed("this link was used already")
        if parse_iso_utc(row.expires_at) <= self.clock():
            raise LinkExpired("this link has expired")
        return row

    def peek(self, purpose: str, token: str) -> dict[str, JsonScalar]:
        """The payload of a valid, unused, unexpired link, without using it (for a GET page)."""
        loaded = json.loads(self._row(purpose, token).payload)
        assert isinstance(loaded, dict)
        return loaded

    def redeem(self, purpose: str, token: str) -> dict[str, JsonScalar]:
        """Use the link once and return its payload; a second use raises `LinkUsed`."""
        row = self._row(purpose, token)
        if not self.repo.use_token(row.id, iso_utc(self.clock())):
            raise LinkUsed("this link was used already")
        loaded = json.loads(row.payload)
        assert isinstance(loaded, dict)
        return loaded
