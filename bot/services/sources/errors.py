"""Refusals of the sources service, as message keys with values.

Each error carries a ``key`` and the ``values`` it names; ``str()`` is the English sentence
(what the command line prints). The Discord side says the key in the user's language
(only the operator follows sources: the command line says them). Keys, not English strings,
are what adapters match on.
"""

from __future__ import annotations

#: key -> English template (what the command line shows).
ENGLISH: dict[str, str] = {
    "source.unknown": "no followed source {source}; `briefbot follow list` shows them",
    "source.bad_since": "{value!r} is not a date; use YYYY-MM-DD, for example 2025-01-01",
    "source.future_since": "{value} is in the future; use a date that has passed",
    "source.no_folder": "{path} is not a folder; give the folder to follow",
    "source.bad_dossier": "{value!r} is not a dossier number; use its number, e.g. 28638",
    "source.bad_type": "{value!r} is not a document kind; use one like 'Brief regering'",
    "source.bad_subject": "{value!r} is too short or too long to search for; use a word",
}


class SourceError(ValueError):
    """A request about sources that cannot be done as asked (a ValueError: the CLI shows it
    as an error line, exit code 1)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(ENGLISH[key].format(**values))


class UnknownSourceError(SourceError, LookupError):
    def __init__(self, source: object) -> None:
        super().__init__("source.unknown", source=source)
