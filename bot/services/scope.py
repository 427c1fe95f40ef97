"""Who is asking, and so which letters they may see."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """A server sees the bundled letters and its own; a DM sees the bundled letters; an operator
    at the command line (``everything``) sees every letter."""

    guild_id: int | None = None
    everything: bool = False

    def allows(self, letter_guild_id: int | None) -> bool:
        return self.everything or letter_guild_id is None or letter_guild_id == self.guild_id


OPERATOR = Scope(everything=True)
GLOBAL = Scope()
