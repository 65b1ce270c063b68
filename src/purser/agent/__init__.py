"""The conversation runtime, prompts, event protocol, confirmations and handoff."""
