"""SQLAlchemy tables and Alembic migrations (SQLite by default, PostgreSQL by URL)."""

from purser.store.db import Database, metadata

__all__ = ["Database", "metadata"]
