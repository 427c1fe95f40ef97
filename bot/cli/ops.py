"""Operator commands: ``run``, ``sync``, ``check``, ``backup``, ``restore``, ``digest``."""

from __future__ import annotations

COMMANDS: list = []  # type: ignore[type-arg]
