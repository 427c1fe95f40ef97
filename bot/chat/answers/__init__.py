"""Answers on Discord: ``/summary``, ``/recommendations``, ``/quote``, ``/ask``, ``/topics``
(:mod:`.cog`), questions by direct message (:mod:`.dm`) and their embeds (:mod:`.render`)."""
