-- briefbot: rebuilds tables
-- 0004: letter numbers and names per scope. A server never learns anything about another
-- server's letters, not even through a number or a name:
--   * `number`: the letter's number within its scope, the one users see and cite. The bundled
--     and operator letters (guild_id NULL) are numbered 1, 2, 3 ... in their own sequence, each
--     server's letters in the server's own (shown with an `s`: s1, s2 ...). `id` stays internal.
--     Numbers are never reused within a scope (`letter_numbers` keeps the last one given).
--   * `slug`: unique within a scope, no longer across all letters (a second server uploading
--     `zeehonden.txt` gets `zeehonden`, not `zeehonden-2`).
-- The UNIQUE constraint on `slug` is part of the table, so the table is rebuilt (the runner
-- turns foreign keys off around this migration and checks them before it commits).

CREATE TABLE letters_new (
    id             INTEGER PRIMARY KEY,
    number         INTEGER NOT NULL CHECK (number >= 1),
    slug           TEXT    NOT NULL COLLATE NOCASE,
    content_hash   TEXT    NOT NULL,
    guild_id       INTEGER,                -- NULL: bundled letter, visible in every guild
    source_path    TEXT    NOT NULL,
    source_kind    TEXT    NOT NULL CHECK (source_kind IN ('txt', 'pdf')),
    damaged        INTEGER NOT NULL CHECK (damaged IN (0, 1)),
    pages          INTEGER NOT NULL CHECK (pages >= 0),
    sentence_count INTEGER NOT NULL CHECK (sentence_count >= 0),
    sender         TEXT,
    signatory      TEXT,
    recipient      TEXT,
    recipient_role TEXT,
    date           TEXT,
    subject        TEXT,
    reference      TEXT,
    contact        TEXT,
    salutation     TEXT,
    closing        TEXT,
    copies         TEXT,
    title          TEXT    NOT NULL,
    original       TEXT    NOT NULL,
    parser_version TEXT    NOT NULL,
    added_at       TEXT    NOT NULL        -- ISO-8601, aware, UTC
);

INSERT INTO letters_new (
    id, number, slug, content_hash, guild_id, source_path, source_kind, damaged, pages,
    sentence_count, sender, signatory, recipient, recipient_role, date, subject, reference,
    contact, salutation, closing, copies, title, original, parser_version, added_at
)
SELECT
    id, row_number() OVER (PARTITION BY ifnull(guild_id, 0) ORDER BY id), slug, content_hash,
    guild_id, source_path, source_kind, damaged, pages, sentence_count, sender, signatory,
    recipient, recipient_role, date, subject, reference, contact, salutation, closing, copies,
    title, original, parser_version, added_at
FROM letters;

DROP TABLE letters;
ALTER TABLE letters_new RENAME TO letters;

-- Discord ids are never 0, so 0 stands for the global scope in these keys.
CREATE UNIQUE INDEX letters_content_scope ON letters (content_hash, ifnull(guild_id, 0));
CREATE UNIQUE INDEX letters_number_scope ON letters (ifnull(guild_id, 0), number);
CREATE UNIQUE INDEX letters_slug_scope ON letters (ifnull(guild_id, 0), slug);
CREATE INDEX letters_guild ON letters (guild_id);

-- The last number given in each scope (0: the global one), so a number is never given twice.
CREATE TABLE letter_numbers (
    scope INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last >= 0)
);
INSERT INTO letter_numbers (scope, last)
SELECT ifnull(guild_id, 0), max(number) FROM letters GROUP BY ifnull(guild_id, 0);
