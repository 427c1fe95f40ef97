"""What the indexes' saved states share: the error raised when their parts do not fit together,
and words stored as one buffer."""

from __future__ import annotations

from collections.abc import Sequence


class StateError(ValueError):
    """Saved arrays that do not make an index (a damaged or mismatched saved copy). Never
    reaches a user: ``bot.services.index_cache``'s callers log it and build the index anew."""


def join_words(strings: Sequence[str]) -> bytes:
    """Words (never holding a line break) as one UTF-8 buffer, a line each."""
    blob = "\n".join(strings).encode()
    if strings and blob.count(b"\n") != len(strings) - 1:
        raise StateError("a word holds a line break")
    return blob


def split_words(blob: object, count: int) -> list[str]:
    """The ``count`` words :func:`join_words` wrote."""
    if count == 0:
        return []
    words = bytes(blob).decode().split("\n")  # type: ignore[call-overload]
    if len(words) != count:
        raise StateError(f"{len(words)} words stored, expected {count}")
    return words
