"""Letters on Discord: ``/letters``, ``/help``, ``/letter add`` and ``/letter remove``
(:mod:`.cog`) and their embeds (:mod:`.render`)."""
