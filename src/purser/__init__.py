"""Purser: an AI agent for subscription-billing support that never moves money outside policy."""

__version__ = "0.1.0"
