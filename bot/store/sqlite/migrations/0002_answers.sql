-- 0002: data derived from the sentences at ingest (recomputable): recommendations with their
-- kind and topics, the topics of each letter, and sentence embeddings for semantic search.

CREATE TABLE topics (
    id   INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,          -- stable, ascii, e.g. 'seksueel-geweld-tegen-kinderen'
    name TEXT NOT NULL                  -- Dutch display name
);

CREATE TABLE letter_topics (
    letter_id INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    topic_id  INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    weight    REAL    NOT NULL,
    PRIMARY KEY (letter_id, topic_id)
);
CREATE INDEX letter_topics_topic ON letter_topics (topic_id);

CREATE TABLE recommendations (
    id              INTEGER PRIMARY KEY,
    letter_id       INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    sentence_number INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('request', 'plea', 'advice', 'requirement', 'concern')),
    cue             TEXT,               -- the phrase that marks it, e.g. 'pleit ik voor'
    position        INTEGER NOT NULL,   -- order within the letter
    UNIQUE (letter_id, sentence_number)
);

CREATE TABLE recommendation_topics (
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    topic_id          INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (recommendation_id, topic_id)
);
CREATE INDEX recommendation_topics_topic ON recommendation_topics (topic_id);

CREATE TABLE sentence_vectors (
    sentence_id INTEGER PRIMARY KEY REFERENCES sentences (id) ON DELETE CASCADE,
    letter_id   INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    vector      BLOB    NOT NULL        -- little-endian float16, L2-normalised
);
CREATE INDEX sentence_vectors_letter ON sentence_vectors (letter_id);

-- Which analyser or model version produced a letter's derived data; stale rows are recomputed.
CREATE TABLE derived (
    letter_id INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL,         -- 'recommendations' or 'vectors'
    version   TEXT    NOT NULL,
    PRIMARY KEY (letter_id, kind)
);
