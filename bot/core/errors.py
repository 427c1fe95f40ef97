"""Refusals users can act on: a message key and its values, said in the user's language at the
edge (the Discord adapter, the command line) from the catalogue in :mod:`bot.core.refusals`.

Services and the text work raise these instead of English sentences, as gettext-style catalogues
(Red-DiscordBot's, Django's) do::

    raise NotFound("no_letter", ref="'99'")            # a LookupError
    raise Refused("bad_time", value="'25:00'")         # a ValueError
    raise LetterError("binary", "this is a binary file, not a text letter")

``str()`` of one is English. A file's refusal (:class:`bot.core.models.LetterError`) also carries
the reader's own sentence (``detail``): it names what only the reader knows (which page, which
limit, what the file looks like), and is what English shows.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A request refused for a reason its user can act on."""

    kind = "request"

    def __init__(self, key: str, detail: str | None = None, /, **params: Any) -> None:
        from bot.core.refusals import english

        self.key = key
        self.detail = detail
        self.params = params
        super().__init__(detail if detail is not None else english(key, params))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # pickled as its key, detail and values (a file's refusal comes back from the
        # reading process that read it: bot.services.letters.pool)
        return _rebuild, (type(self), self.key, self.detail, self.params)


def _rebuild(cls: type[UserError], key: str, detail: str | None, params: dict[str, Any]) -> Any:
    return cls(key, detail, **params)


class Refused(UserError, ValueError):
    """The request itself is wrong: a bad value, a missing option, a file that is no letter."""


class NotFound(UserError, LookupError):
    """The request names what the user's scope does not have: a letter, a topic, a sentence."""
