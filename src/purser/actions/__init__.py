"""The action catalog and the gateway every action goes through.

Import `purser.actions.gateway` for `Gateway`, `Scope`, `Outcome`; `purser.actions.catalog` for `CATALOG`.
"""
