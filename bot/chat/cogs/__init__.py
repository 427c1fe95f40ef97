"""Slash commands and event handlers, one cog per area."""
