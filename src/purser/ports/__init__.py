"""Ports: the Protocols the service layer (gateway, runtime, approvals, audit) speaks to.

Adapters implement them: `purser.store` (SQLAlchemy repositories and the unit of work) and
`purser.testing` (in-memory fakes). The service layer never sees a database row.
"""
