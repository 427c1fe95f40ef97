-- 0005: followed sources (the Tweede Kamer's open data, a folder), what each has delivered,
-- and where every letter came from.
--
--   * `sources`: what an operator follows (`briefbot follow add`), its cursor (the
--     `GewijzigdOp` of the last Tweede Kamer document handled, in order), when it is polled
--     next, and a lease: one process at a time polls a source (`lease_owner` until
--     `lease_until`; a lease of a process that died runs out).
--   * `source_documents`: one row per document of a source, keyed by the source's own id for
--     it (the Tweede Kamer's `Id`, a file's path in the folder): the version last handled, the
--     hash of the bytes ingested, the letter it became, or why it was skipped.
--   * `letters`: where a letter came from (`source_id`, `source_ref`), the address of the
--     original (`source_url`), the source's name as users see it (`source_name`), the date
--     the source gives it (`published`), and whether it arrived with a source's first poll of
--     older documents (`backfill`: never "new" in a digest). At most one letter per source
--     document (a document holding several letters gives `ref`, `ref#2` ...).
--   * `subscriptions.new_only`: a digest of new letters only (no introduction, no
--     recommendation of the day, nothing sent when nothing is new).

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('tweedekamer', 'folder')),
    config       TEXT    NOT NULL,          -- JSON: the query or the folder
    config_key   TEXT    NOT NULL UNIQUE,   -- kind + canonical config: a source is followed once
    name         TEXT    NOT NULL,          -- as users see it
    since        TEXT    NOT NULL,          -- YYYY-MM-DD: documents dated from this day on
    cursor       TEXT,                      -- aware UTC ISO-8601 (Tweede Kamer); NULL: none yet
    created_at   TEXT    NOT NULL,
    next_poll_at TEXT    NOT NULL,
    last_poll_at TEXT,
    last_ok_at   TEXT,
    last_error   TEXT,
    failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lease_owner  TEXT,
    lease_until  TEXT
);
CREATE INDEX sources_next_poll ON sources (next_poll_at);

CREATE TABLE source_documents (
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    ref          TEXT    NOT NULL,          -- the source's id of the document
    version      TEXT    NOT NULL,          -- GewijzigdOp, or size:mtime of a file
    content_hash TEXT,                      -- sha256 of the bytes ingested
    letter_id    INTEGER REFERENCES letters (id) ON DELETE SET NULL,
    status       TEXT    NOT NULL CHECK (status IN ('added', 'updated', 'unchanged', 'skipped',
                                                    'deleted', 'failed')),
    reason       TEXT,                      -- why it was skipped or failed
    title        TEXT,
    url          TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0, -- polls in a row that failed on it
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (source_id, ref)
);
CREATE INDEX source_documents_letter ON source_documents (letter_id);

ALTER TABLE letters ADD COLUMN source_id INTEGER REFERENCES sources (id) ON DELETE SET NULL;
ALTER TABLE letters ADD COLUMN source_ref TEXT;
ALTER TABLE letters ADD COLUMN source_url TEXT;
ALTER TABLE letters ADD COLUMN source_name TEXT;
ALTER TABLE letters ADD COLUMN published TEXT;
ALTER TABLE letters ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0 CHECK (backfill IN (0, 1));
CREATE UNIQUE INDEX letters_source_ref ON letters (source_id, source_ref)
    WHERE source_id IS NOT NULL;

ALTER TABLE subscriptions ADD COLUMN new_only INTEGER NOT NULL DEFAULT 0
    CHECK (new_only IN (0, 1));
