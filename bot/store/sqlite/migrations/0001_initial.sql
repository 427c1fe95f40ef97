-- 0001: letters, their sections, sentences and repairs; full-text index; key/value meta.
-- Applied in one transaction together with `PRAGMA user_version = 1` (see bot/store/sqlite/migrate.py).
-- Do not put BEGIN/COMMIT or PRAGMA statements in migration files.

CREATE TABLE letters (
    id             INTEGER PRIMARY KEY,
    slug           TEXT    NOT NULL COLLATE NOCASE UNIQUE,
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

-- The same content in the same scope is one letter. Discord ids are never 0, so 0 stands for
-- the global scope here (NULLs would otherwise never compare equal in a UNIQUE index).
CREATE UNIQUE INDEX letters_content_scope ON letters (content_hash, ifnull(guild_id, 0));
CREATE INDEX letters_guild ON letters (guild_id);

CREATE TABLE sections (
    id        INTEGER PRIMARY KEY,
    letter_id INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL CHECK (position >= 0),
    heading   TEXT,
    UNIQUE (letter_id, position)
);

CREATE TABLE sentences (
    id           INTEGER PRIMARY KEY,
    letter_id    INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    section_id   INTEGER NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number >= 1),
    page         INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    text         TEXT    NOT NULL,
    original     TEXT    NOT NULL,
    norm         TEXT    NOT NULL,
    UNIQUE (letter_id, number)
);

-- Needed so deleting a section does not scan every sentence for the foreign key check.
CREATE INDEX sentences_section ON sentences (section_id);

CREATE TABLE repairs (
    id              INTEGER PRIMARY KEY,
    letter_id       INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    sentence_number INTEGER NOT NULL,
    from_text       TEXT    NOT NULL,
    to_text         TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    UNIQUE (letter_id, position)
);

CREATE VIRTUAL TABLE sentences_fts USING fts5 (
    norm,
    content = 'sentences',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN
    INSERT INTO sentences_fts (rowid, norm) VALUES (new.id, new.norm);
END;

CREATE TRIGGER sentences_fts_delete AFTER DELETE ON sentences BEGIN
    INSERT INTO sentences_fts (sentences_fts, rowid, norm) VALUES ('delete', old.id, old.norm);
END;

CREATE TRIGGER sentences_fts_update AFTER UPDATE ON sentences BEGIN
    INSERT INTO sentences_fts (sentences_fts, rowid, norm) VALUES ('delete', old.id, old.norm);
    INSERT INTO sentences_fts (rowid, norm) VALUES (new.id, new.norm);
END;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
