"""All settings in one typed place, read from the environment or a ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
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

    @field_validator("max_requests_per_second")
    @classmethod
    def _pacing(cls, value: int) -> int:
        if value < 0:
            raise ValueError("use 0 (no pacing) or a number of requests a second, e.g. 45")
        return value


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
