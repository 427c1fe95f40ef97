"""Store locations: which backend a location names, and how to show it.

A location is a SQLite file (a path, ``sqlite:PATH``, ``sqlite:///PATH``) or a PostgreSQL URL
(``postgresql://...``). No backend is imported here.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

Location = str | os.PathLike[str]
_SQLITE_PREFIXES = ("sqlite:///", "sqlite://", "sqlite:")
_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+")


def backend_of(location: Location) -> str:
    """``sqlite`` or ``postgresql``: which backend ``location`` names."""
    text = os.fspath(location)
    if text.startswith(_POSTGRES_PREFIXES):
        return "postgresql"
    return "sqlite"


def sqlite_path(location: Location) -> str:
    """The file a SQLite location names (``sqlite:data/x.sqlite3`` -> ``data/x.sqlite3``)."""
    text = os.fspath(location)
    for prefix in _SQLITE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :] or ":memory:"
    return text


def postgres_url(location: Location) -> str:
    """The URL asyncpg takes (``postgresql+asyncpg://`` and ``postgres://`` as ``postgresql://``)."""
    text = os.fspath(location)
    if text.startswith("postgresql+"):
        text = "postgresql://" + text.split("://", 1)[1]
    return text


def describe(location: Location) -> str:
    """A location for messages and reports: a PostgreSQL URL without its password."""
    text = os.fspath(location)
    if backend_of(text) != "postgresql":
        return text
    parts = urlsplit(text)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"
