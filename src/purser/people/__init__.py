"""People (DESIGN §11): accounts with roles and approval limits, API tokens, dashboard sessions with CSRF
protection, and OIDC single sign-on. See docs/PEOPLE.md."""

from purser.people.accounts import BOOTSTRAP_ADMIN, PeopleService, Principal

__all__ = ["BOOTSTRAP_ADMIN", "PeopleService", "Principal"]
