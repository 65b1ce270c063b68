"""Any model: provider registry (`registry`, `providers`), routing, fallback, cost; `offline`.

Nothing is imported here so that `purser.models.offline` stays importable on its own.
"""

__all__: list[str] = []
