"""Letters, their sections, sentences and repairs, full-text search, and the key/value meta
table (PostgreSQL)."""

from __future__ import annotations

import asyncio
import builtins
import hashlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from bot.core.models import ParsedLetter
from bot.store.base import InvalidLetterError, InvalidQueryError
from bot.store.postgres.db import Pg, aware
from bot.store.postgres.fts import to_tsquery_sql
from bot.store.records import (
    LetterOrigin,
    LetterRecord,
    RepairRecord,
    SectionRecord,
    SentenceRecord,
    parse_ref,
)
from bot.store.rows import CONVERT_INLINE, sentence_rows

_MAX_ID = 2**63 - 1

_LETTER_COLUMNS = """
    id, number, slug, guild_id, title, subject, sender, signatory, recipient, recipient_role, date,
    reference, contact, salutation, closing, copies, pages, sentence_count, source_kind,
    source_path, damaged, content_hash, parser_version, added_at, source_id, source_ref,
    source_url, source_name, published, backfill
"""
_SELECT_LETTER = f"SELECT {_LETTER_COLUMNS} FROM letters"
_SELECT_SENTENCE = """
    SELECT s.id, s.letter_id, s.number, s.section_id, c.heading AS section_heading, s.page,
           s.start_offset, s.end_offset, s.text, s.original, s.norm
    FROM sentences AS s JOIN sections AS c ON c.id = s.section_id
"""


def _letter(row: asyncpg.Record) -> LetterRecord:
    fields = dict(row.items())
    fields["added_at"] = aware(fields["added_at"])
    return LetterRecord(**fields)


def _sentence(row: asyncpg.Record) -> SentenceRecord:
    return SentenceRecord(**dict(row.items()))


def _scope_lock(guild_id: int | None) -> int:
    """The advisory lock key of a scope: adds in one scope run one at a time (numbers, names and
    the same-content check are decided inside the transaction, as SQLite's one writer does)."""
    digest = hashlib.blake2b(f"briefbot:letters:{guild_id or 0}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class PgLetterRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db

    # ---- writing

    async def add(
        self,
        parsed: ParsedLetter,
        *,
        slug_hint: str,
        source_path: str,
        content_hash: str,
        guild_id: int | None,
        parser_version: str,
        replace: int | None = None,
        origin: LetterOrigin | None = None,
    ) -> tuple[LetterRecord, bool]:
        async with self._db.write() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _scope_lock(guild_id))
            if guild_id is not None:  # a server's names are checked against global ones
                await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _scope_lock(None))
            try:
                return await self._add(
                    conn, parsed, slug_hint=slug_hint, source_path=source_path,
                    content_hash=content_hash, guild_id=guild_id,
                    parser_version=parser_version, replace=replace, origin=origin,
                )  # fmt: skip
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
                raise InvalidLetterError(f"letter {slug_hint!r} cannot be stored: {exc}") from exc

    async def _add(
        self,
        conn: asyncpg.Connection,
        parsed: ParsedLetter,
        *,
        slug_hint: str,
        source_path: str,
        content_hash: str,
        guild_id: int | None,
        parser_version: str,
        replace: int | None,
        origin: LetterOrigin | None,
    ) -> tuple[LetterRecord, bool]:
        row = await conn.fetchrow(
            f"{_SELECT_LETTER} WHERE content_hash = $1 AND coalesce(guild_id, 0) = $2",
            content_hash,
            guild_id or 0,
        )
        if row is not None:
            return _letter(row), False
        old = None
        if replace is not None:
            old = await conn.fetchrow(
                "SELECT number, slug FROM letters WHERE id = $1 AND coalesce(guild_id, 0) = $2",
                replace,
                guild_id or 0,
            )
        if old is not None:  # the new letter takes the old one's number and name
            await conn.execute("DELETE FROM letters WHERE id = $1", replace)
            number, slug = int(old[0]), str(old[1])
        else:
            number = int(
                await conn.fetchval(
                    "INSERT INTO letter_numbers (scope, last) VALUES ($1, 1)"
                    " ON CONFLICT (scope) DO UPDATE SET last = letter_numbers.last + 1"
                    " RETURNING last",
                    guild_id or 0,
                )
            )
            slug = await self._unique_slug(conn, slug_hint, guild_id)
        m = parsed.metadata
        letter_id = await conn.fetchval(
            """INSERT INTO letters (number, slug, content_hash, guild_id, source_path, source_kind,
                   damaged, pages, sentence_count, sender, signatory, recipient, recipient_role,
                   date, subject, reference, contact, salutation, closing, copies, title,
                   original, parser_version, added_at, source_id, source_ref, source_url,
                   source_name, published, backfill)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $18, $19, $20, $21, $22, $23, now(), $24, $25, $26, $27, $28, $29)
               RETURNING id""",
            number, slug, content_hash, guild_id, source_path, parsed.source_kind,
            bool(parsed.damaged), parsed.pages, len(parsed.sentences), m.sender, m.signatory,
            m.recipient, m.recipient_role, m.date, m.subject, m.reference, m.contact,
            m.salutation, m.closing, m.copies, parsed.title, parsed.original, parser_version,
            origin.source_id if origin else None, origin.source_ref if origin else None,
            origin.url if origin else None, origin.name if origin else None,
            origin.published if origin else None, bool(origin.backfill) if origin else False,
        )  # fmt: skip
        section_ids = [
            int(r[0])
            for r in await conn.fetch(
                "INSERT INTO sections (letter_id, position, heading)"
                " SELECT $1, p - 1, h FROM unnest($2::text[]) WITH ORDINALITY AS x (h, p)"
                " ORDER BY p RETURNING id",
                letter_id,
                [s.heading for s in parsed.sections],
            )
        ]
        section_ids.sort()  # identities are given in insert order: position order
        rows = sentence_rows(letter_id, section_ids, parsed.sentences)
        if rows:
            await conn.copy_records_to_table(
                "sentences",
                records=rows,
                columns=[
                    "letter_id", "section_id", "number", "page", "start_offset", "end_offset",
                    "text", "original", "norm",
                ],
            )  # fmt: skip
        if parsed.repairs:
            await conn.executemany(
                "INSERT INTO repairs (letter_id, sentence_number, from_text, to_text, position)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (letter_id, r.sentence, r.from_text, r.to_text, i)
                    for i, r in enumerate(parsed.repairs)
                ],
            )
        row = await conn.fetchrow(f"{_SELECT_LETTER} WHERE id = $1", letter_id)
        assert row is not None
        return _letter(row), True

    @staticmethod
    async def _unique_slug(conn: asyncpg.Connection, hint: str, guild_id: int | None) -> str:
        """A name not taken among the letters this scope sees (see the SQLite backend)."""
        base = hint.strip() or "letter"
        if parse_ref(base) is not None:  # would be read as a letter number by resolve()
            base = f"letter-{base}"
        where = "guild_id IS NULL" if guild_id is None else "(guild_id IS NULL OR guild_id = $2)"
        params: tuple[Any, ...] = () if guild_id is None else (guild_id,)
        slug, n = base, 1
        while await conn.fetchval(
            f"SELECT 1 FROM letters WHERE lower(slug) = lower($1) AND {where}", slug, *params
        ):
            n += 1
            slug = f"{base}-{n}"
        return slug

    async def forget_numbers(self, guild_id: int) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute(
                "DELETE FROM letter_numbers WHERE scope = $1"
                " AND NOT EXISTS (SELECT 1 FROM letters WHERE guild_id = $1)",
                guild_id,
            )
        return _rowcount(status) > 0

    async def delete(self, letter_id: int, *, guild_id: int | None) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute(
                "DELETE FROM letters WHERE id = $1 AND guild_id IS NOT DISTINCT FROM $2",
                letter_id,
                guild_id,
            )
        return _rowcount(status) > 0

    # ---- letters

    async def get(self, letter_id: int) -> LetterRecord | None:
        if not -_MAX_ID <= letter_id <= _MAX_ID:
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"{_SELECT_LETTER} WHERE id = $1", letter_id)
        return _letter(row) if row else None

    async def resolve(self, ref: str, *, guild_id: int | None) -> LetterRecord | None:
        ref = ref.strip()
        if not ref:
            return None
        async with self._db.read() as conn:
            row = None
            number = parse_ref(ref)
            if number is not None and number[1] <= 2**31 - 1:
                own, n = number
                if own and guild_id is not None:
                    row = await conn.fetchrow(
                        f"{_SELECT_LETTER} WHERE guild_id = $1 AND number = $2", guild_id, n
                    )
                elif not own:
                    row = await conn.fetchrow(
                        f"{_SELECT_LETTER} WHERE guild_id IS NULL AND number = $1", n
                    )
            if row is None:  # a name: the server's own letter first, then a global one
                row = await conn.fetchrow(
                    f"{_SELECT_LETTER} WHERE lower(slug) = lower($1)"
                    " AND (guild_id IS NULL OR guild_id = $2) ORDER BY guild_id IS NULL LIMIT 1",
                    ref,
                    guild_id,
                )
        return _letter(row) if row else None

    async def sharing_phrases(
        self, phrases: Sequence[str], *, guild_id: int | None, limit: int = 20
    ) -> dict[int, int]:
        found: dict[int, int] = {}
        scope = (
            "l.guild_id IS NULL" if guild_id is None else "(l.guild_id IS NULL OR l.guild_id = $2)"
        )
        async with self._db.read() as conn:
            for phrase in phrases:
                words = [w for w in phrase.split() if w.isascii() and w.isalnum()]
                if not words:
                    continue
                first = 2 if guild_id is None else 3
                query, params = to_tsquery_sql('"' + " ".join(words) + '"', first_param=first)
                args: list[Any] = [limit]
                if guild_id is not None:
                    args.append(guild_id)
                rows = await conn.fetch(
                    "SELECT DISTINCT s.letter_id FROM sentences AS s"
                    " JOIN letters AS l ON l.id = s.letter_id"
                    f" WHERE s.search @@ {query} AND {scope} LIMIT $1",
                    *args,
                    *params,
                )
                for r in rows:
                    found[int(r[0])] = found.get(int(r[0]), 0) + 1
        return found

    async def list(
        self, *, guild_id: int | None, include_all: bool = False
    ) -> builtins.list[LetterRecord]:
        async with self._db.read() as conn:
            if include_all:
                rows = await conn.fetch(f"{_SELECT_LETTER} ORDER BY id")
            else:
                rows = await conn.fetch(
                    f"{_SELECT_LETTER} WHERE guild_id IS NULL OR guild_id = $1 ORDER BY id",
                    guild_id,
                )
        if len(rows) > CONVERT_INLINE:  # ten thousand records: a worker's job, not the loop's
            return await asyncio.to_thread(lambda: [_letter(row) for row in rows])
        return [_letter(row) for row in rows]

    async def count(self) -> int:
        async with self._db.read() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM letters"))

    async def original(self, letter_id: int) -> str | None:
        async with self._db.read() as conn:
            value = await conn.fetchval("SELECT original FROM letters WHERE id = $1", letter_id)
        return None if value is None else str(value)

    # ---- parts of a letter

    async def sections(self, letter_id: int) -> builtins.list[SectionRecord]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id, letter_id, position, heading FROM sections"
                " WHERE letter_id = $1 ORDER BY position",
                letter_id,
            )
        return [SectionRecord(**dict(r.items())) for r in rows]

    async def sentences(self, letter_id: int) -> builtins.list[SentenceRecord]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT_SENTENCE} WHERE s.letter_id = $1 ORDER BY s.number", letter_id
            )
        return [_sentence(row) for row in rows]

    async def sentence(self, letter_id: int, number: int) -> SentenceRecord | None:
        if not -(2**31) <= number < 2**31:
            return None
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"{_SELECT_SENTENCE} WHERE s.letter_id = $1 AND s.number = $2", letter_id, number
            )
        return _sentence(row) if row else None

    async def sentences_by_ids(self, ids: Sequence[int]) -> builtins.list[SentenceRecord]:
        if not ids:
            return []
        sql = _SELECT_SENTENCE.replace(
            "FROM sentences AS s",
            "FROM unnest($1::bigint[]) WITH ORDINALITY AS j (id, ord)"
            " JOIN sentences AS s ON s.id = j.id",
        )
        async with self._db.read() as conn:
            rows = await conn.fetch(f"{sql} ORDER BY j.ord", [int(i) for i in ids])
        return [_sentence(row) for row in rows]

    async def repairs(self, letter_id: int) -> builtins.list[RepairRecord]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id, letter_id, sentence_number, from_text, to_text, position"
                " FROM repairs WHERE letter_id = $1 ORDER BY position",
                letter_id,
            )
        return [RepairRecord(**dict(r.items())) for r in rows]

    async def iter_all_sentences(self, batch: int = 5000) -> AsyncIterator[SentenceRecord]:
        # Keyset pagination: a connection is held per batch only, never while the caller works.
        if batch < 1:
            raise ValueError("batch must be at least 1")
        last_id = 0
        while True:
            async with self._db.read() as conn:
                rows = await conn.fetch(
                    f"{_SELECT_SENTENCE} WHERE s.id > $1 ORDER BY s.id LIMIT $2", last_id, batch
                )
            for row in rows:
                yield _sentence(row)
            if len(rows) < batch:
                return
            last_id = int(rows[-1]["id"])

    # ---- full-text search

    async def fts_search(
        self, match_expr: str, *, limit: int, letter_ids: Sequence[int] | None = None
    ) -> builtins.list[tuple[int, float]]:
        if limit < 1 or (letter_ids is not None and not letter_ids):
            return []
        query, params = to_tsquery_sql(match_expr, first_param=3)
        sql = (
            f"WITH q AS (SELECT {query} AS q)"
            " SELECT s.id, -ts_rank(s.search, q.q) AS score FROM sentences AS s, q"
            " WHERE s.search @@ q.q"
        )
        args: builtins.list[Any] = [limit, None]
        if letter_ids is not None:
            sql += " AND s.letter_id = ANY($2::bigint[])"
            args[1] = [int(i) for i in letter_ids]
        else:
            sql += " AND $2::bigint[] IS NULL"
        sql += " ORDER BY score, s.id LIMIT $1"  # lower is better, as SQLite's bm25()
        async with self._db.read() as conn:
            try:
                rows = await conn.fetch(sql, *args, *params)
            except asyncpg.SyntaxOrAccessError as exc:
                raise InvalidQueryError(f"invalid search {match_expr!r}: {exc}") from exc
        return [(int(r[0]), float(r[1])) for r in rows]


def _rowcount(status: str) -> int:
    """The row count of a command status (``DELETE 3`` -> 3)."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgMetaRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.read() as conn:
            value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    async def delete(self, key: str) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM meta WHERE key = $1", key)
        return _rowcount(status) > 0

    async def items(self, prefix: str) -> builtins.list[tuple[str, str]]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                'SELECT key, value FROM meta WHERE starts_with(key, $1) ORDER BY key COLLATE "C"',
                prefix,
            )
        return [(str(r[0]), str(r[1])) for r in rows]
