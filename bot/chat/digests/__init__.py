"""Digests on Discord: the ``/digest`` commands (:mod:`.cog`), posting digests
(:mod:`.sender`) and a digest as embeds within Discord's limits (:mod:`.render`)."""
