"""Pure text work: parse, repair, segment, detect recommendations, summarise.

Nothing in this package does I/O or knows about Discord or SQLite.
"""
