"""The root of every error Purser raises on purpose.

Each error carries a stable machine `code` and the HTTP `status` the web layer answers with;
the web maps exceptions by type (`isinstance(exc, PurserError)`), so any other exception — a
bug's `ValueError` included — is a 500. Vendor exceptions (SQLAlchemy's, stripe's, httpx's)
never cross an adapter boundary: adapters translate them into one of these.

The tree (status in brackets):

    PurserError [500]
    └── (filled in as the tree grows; see the module list below)

Every subclass sets `code` and `status` as class attributes; an instance may override `code`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["PurserError"]


class PurserError(Exception):
    """Base of every deliberate Purser error: `message`, a stable `code` and an HTTP `status`."""

    code: str = "purser_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
