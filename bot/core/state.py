"""The error an index's saved state raises when its parts do not fit together."""

from __future__ import annotations


class StateError(ValueError):
    """Saved arrays that do not make an index (a damaged or mismatched saved copy). Never
    reaches a user: ``bot.services.index_cache``'s callers log it and build the index anew."""
