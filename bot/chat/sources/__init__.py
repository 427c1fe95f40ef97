"""Followed sources in Discord: the ``/sources`` cog and how citations link to originals."""
