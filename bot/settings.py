"""All settings in one typed place, read from the environment or a ``.env`` file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("data/briefbot.sqlite3")


class Settings(BaseSettings):
    """briefbot's settings. Each field is read from the environment variable named in ``alias``."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # SETTING= (as in .env.example) means "the default"
    )

    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    # a SQLite file (``data/x.sqlite3``, ``sqlite:data/x.sqlite3``) or ``postgresql://...``
    database: str = Field(default=str(DEFAULT_DB), alias="BRIEFBOT_DB")
    dev_guild: int | None = Field(default=None, alias="BRIEFBOT_DEV_GUILD")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    letters_dir: Path = Field(default=REPO_ROOT / "data" / "letters", alias="BRIEFBOT_LETTERS_DIR")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, alias="BRIEFBOT_MAX_UPLOAD_BYTES")
    # Discord's global limit is 50 REST requests a second per bot (more for large bots, on
    # request); briefbot stays under it on its own. 0 turns the pacing off.
    max_requests_per_second: int = Field(default=45, alias="BRIEFBOT_MAX_REQUESTS_PER_SECOND")
    # Followed sources (bot.services.sources): where the Tweede Kamer's OData API is (tests
    # point it at a local fake), how often sources are polled, and who to write to about
    # briefbot's requests (named in its user agent).
    tweedekamer_url: str = Field(
        default="https://gegevensmagazijn.tweedekamer.nl/OData/v4/2.0/",
        alias="BRIEFBOT_TWEEDEKAMER_URL",
    )
    poll_minutes: int = Field(default=15, alias="BRIEFBOT_POLL_MINUTES")
    contact: str | None = Field(default=None, alias="BRIEFBOT_CONTACT")
    # Several bot processes (``briefbot run --shards 0-1 --shard-count 4``): the gateway shards
    # this process serves and how many the bot has in all; unset (or ``auto``): one process
    # serves every shard, as many as Discord recommends (GET /gateway/bot).
    shards: str | None = Field(default=None, alias="BRIEFBOT_SHARDS")
    shard_count: str | None = Field(default=None, alias="BRIEFBOT_SHARD_COUNT")
    # A digest claimed by a process that went silent this long is taken over by another
    # (the process died mid-delivery); see bot/services/digests/claims.py.
    claim_stale_seconds: int = Field(default=60, alias="BRIEFBOT_CLAIM_STALE_SECONDS")
    # Where the built indexes are saved so that a restart loads them in seconds instead of
    # building them (bot/services/index_cache.py): unset, next to the SQLite file
    # (``briefbot.sqlite3-index/``) or, for PostgreSQL, in ~/.cache/briefbot/index/; ``off``:
    # never saved (every start builds them from the store).
    index_dir: str | None = Field(default=None, alias="BRIEFBOT_INDEX_DIR")
    # Where quote lookups and questions find their candidates: ``memory`` (indexes in the
    # process, the default: the best answers) or ``store`` (PostgreSQL finds them: the process
    # holds no index of every sentence, at some cost in answers and latency; see the README).
    search: Literal["memory", "store"] = Field(default="memory", alias="BRIEFBOT_SEARCH")
    # Processes that read, parse and analyse files when many are ingested at once (unset: one
    # per core, at most 4; 1 reads them in a thread of this process).
    read_workers: int | None = Field(default=None, ge=1, le=32, alias="BRIEFBOT_READ_WORKERS")

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database", mode="before")
    @classmethod
    def _location(cls, value: object) -> object:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, str) and not value.strip():
            return str(DEFAULT_DB)
        return value

    @property
    def db_path(self) -> Path:
        """The SQLite file of ``database`` (for a SQLite location)."""
        from bot.store import sqlite_path

        return Path(sqlite_path(self.database))

    @field_validator("dev_guild", mode="before")
    @classmethod
    def _blank_guild_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        value = value.strip().upper() or "INFO"
        if value not in LOG_LEVELS:
            raise ValueError(f"use one of {', '.join(LOG_LEVELS)}")
        return value

    @field_validator("letters_dir")
    @classmethod
    def _letters_dir_exists(cls, value: Path) -> Path:
        # A wrong folder would silently give an empty store: refuse it where it is set.
        if not value.is_dir():
            raise ValueError(
                f"{str(value)!r} is not a folder; point it at a folder of .txt/.pdf letters "
                "(the bundled ones are in data/letters) or leave it unset"
            )
        return value

    @field_validator("max_upload_bytes")
    @classmethod
    def _positive_upload_limit(cls, value: int) -> int:
        if value < 1:
            raise ValueError("use a size in bytes, for example 20971520 for 20 MB")
        return value

    @field_validator("tweedekamer_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "use the address of the OData API, "
                "https://gegevensmagazijn.tweedekamer.nl/OData/v4/2.0/, or leave it unset"
            )
        return value.strip()

    @field_validator("poll_minutes")
    @classmethod
    def _poll_minutes(cls, value: int) -> int:
        if value < 1:
            raise ValueError("use a number of minutes, at least 1 (default 15)")
        return value

    @field_validator("contact", mode="before")
    @classmethod
    def _blank_contact_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = " ".join(value.split())[:200]
            return value or None
        return value

    @field_validator("index_dir", mode="before")
    @classmethod
    def _index_dir(cls, value: object) -> object:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def index_cache_dir(self, location: str | None = None) -> Path | None:
        """Where the built indexes of the store at ``location`` (default: ``database``) are
        saved; None: nowhere."""
        from bot.services.index_cache import default_dir

        if self.index_dir is not None and self.index_dir.strip().lower() in ("off", "none"):
            return None
        return default_dir(location or self.database, self.index_dir)

    @field_validator("shards", "shard_count", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("shard_count")
    @classmethod
    def _shard_count(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_count(value)
        return value

    @field_validator("shards")
    @classmethod
    def _shards(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_ids(value)
        return value

    @field_validator("claim_stale_seconds")
    @classmethod
    def _stale(cls, value: int) -> int:
        if value < 5:
            raise ValueError("use a number of seconds, at least 5 (default 60)")
        return value

    @model_validator(mode="after")
    def _shards_together(self) -> Settings:
        ShardPlan.of(self.shards, self.shard_count)  # --shards needs a count that holds them
        return self

    @property
    def shard_plan(self) -> ShardPlan:
        """Which shards this process serves (validated together)."""
        return ShardPlan.of(self.shards, self.shard_count)

    @field_validator("max_requests_per_second")
    @classmethod
    def _pacing(cls, value: int) -> int:
        if value < 0:
            raise ValueError("use 0 (no pacing) or a number of requests a second, e.g. 45")
        return value


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """The gateway shards one bot process serves.

    ``count`` None: automatic (as many shards as Discord recommends, all in this process);
    ``ids`` None: every shard of ``count``. A guild belongs to shard
    ``(guild_id >> 22) % count``; direct messages arrive on shard 0."""

    ids: tuple[int, ...] | None = None
    count: int | None = None

    @classmethod
    def of(cls, shards: str | None, count: str | None) -> ShardPlan:
        total = parse_shard_count(count) if count is not None else None
        if shards is None:
            return cls(None, total)
        ids = parse_shard_ids(shards)
        if total is None:
            raise ValueError(
                "--shards needs the bot's total number of shards: add --shard-count N "
                "(the same N in every process)"
            )
        wrong = [i for i in ids if i >= total]
        if wrong:
            raise ValueError(
                f"shard {wrong[0]} does not exist with --shard-count {total}: "
                f"use shard numbers from 0 to {total - 1}"
            )
        return cls(ids, total)

    @property
    def automatic(self) -> bool:
        return self.count is None

    def describe(self) -> str:
        if self.count is None:
            return "all shards (automatic)"
        ids = self.ids if self.ids is not None else tuple(range(self.count))
        return f"shards {format_shard_ids(ids)} of {self.count}"


def parse_shard_count(text: str) -> int | None:
    """``auto`` (None) or a number of shards, at least 1."""
    value = text.strip().lower()
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{text!r} is not a number of shards: use a number like 4, or auto")
    return int(value)


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``0-1``, ``3`` or ``0,2,5-7``: the shard numbers, sorted, each once."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise ValueError(f"{text!r} is not a list of shards: write them like 0-1, 3 or 0,2,5-7")
        first, last = int(low), int(high) if sep else int(low)
        if last < first:
            raise ValueError(f"{part!r} is an empty range of shards: write the lower one first")
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))


def format_shard_ids(ids: tuple[int, ...]) -> str:
    """``(0, 1, 2, 5)`` -> ``0-2,5``."""
    parts: list[str] = []
    start = prev = None
    for i in [*ids, None]:
        if i is not None and prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    return ",".join(parts)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def describe(error: ValidationError) -> str:
    """A settings error as one line for a person: which setting, what is wrong, where to fix it."""
    parts = []
    for item in error.errors():
        name = ".".join(str(x) for x in item["loc"]) or "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "; ".join(parts) + " (set it in the environment or in .env; see .env.example)"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
