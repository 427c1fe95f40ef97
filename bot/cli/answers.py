"""``briefbot summary``, ``recommendations``, ``quote``, ``ask``, ``topics`` (issue 3)."""

from __future__ import annotations

COMMANDS: list = []  # type: ignore[type-arg]
