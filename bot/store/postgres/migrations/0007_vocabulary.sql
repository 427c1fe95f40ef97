-- 0007: the vocabulary of the stored sentences, kept by the database itself, so that a bot
-- process on PostgreSQL asks the database for the candidates of a quote lookup and of a
-- question instead of holding an index of every sentence in memory
-- (bot/store/postgres/search.py; SQLite's 0007 changes nothing: there the indexes live in the
-- process).
--
-- kind 'w': the words of a sentence's `norm` (as bot.core.quote_index splits it: on spaces);
-- kind 's': its Dutch stems (the lexemes of `briefbot_nl`, as the `search` column has them).
-- df: in how many sentences the term occurs. Kept up to date by statement triggers on
-- sentences (inserts, `COPY` included, deletes, cascaded ones included, updates, TRUNCATE),
-- in the writing transaction: two processes adding letters at once queue on the rows of the
-- words they share, in term order (no deadlock).
--
-- pg_trgm (Debian's postgresql-contrib, like unaccent) indexes the words by their trigrams:
-- the vocabulary words close to a misspelled one. Where the extension is missing or may not
-- be created, the index is left out and briefbot keeps its in-memory quote index (it says so
-- once in its log).

CREATE TABLE vocabulary (
    kind text    NOT NULL CHECK (kind IN ('w', 's')),
    term text    NOT NULL,
    df   integer NOT NULL,
    PRIMARY KEY (kind, term)
);

CREATE FUNCTION briefbot_terms(norm text) RETURNS TABLE (kind text, term text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT 'w', w FROM unnest(string_to_array(norm, ' ')) AS w WHERE w <> ''
    UNION ALL
    SELECT 's', t FROM unnest(tsvector_to_array(to_tsvector('briefbot_nl'::regconfig, norm))) AS t
$$;

CREATE FUNCTION briefbot_vocabulary_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vocabulary AS v (kind, term, df)
    SELECT t.kind, t.term, count(*) FROM added AS s, briefbot_terms(s.norm) AS t
    GROUP BY t.kind, t.term ORDER BY t.kind, t.term
    ON CONFLICT (kind, term) DO UPDATE SET df = v.df + EXCLUDED.df;
    RETURN NULL;
END $$;

CREATE FUNCTION briefbot_vocabulary_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE vocabulary AS v SET df = v.df - gone.n
    FROM (
        SELECT t.kind, t.term, count(*) AS n FROM removed AS s, briefbot_terms(s.norm) AS t
        GROUP BY t.kind, t.term ORDER BY t.kind, t.term
    ) AS gone
    WHERE v.kind = gone.kind AND v.term = gone.term;
    RETURN NULL;
END $$;

CREATE FUNCTION briefbot_vocabulary_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT t.kind, t.term, sum(d.n) AS n
        FROM (SELECT norm, -1 AS n FROM removed UNION ALL SELECT norm, 1 FROM added) AS d,
             briefbot_terms(d.norm) AS t
        GROUP BY t.kind, t.term HAVING sum(d.n) <> 0
    )
    INSERT INTO vocabulary AS v (kind, term, df)
    SELECT kind, term, n FROM delta ORDER BY kind, term
    ON CONFLICT (kind, term) DO UPDATE SET df = v.df + EXCLUDED.df;
    RETURN NULL;
END $$;

CREATE FUNCTION briefbot_vocabulary_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vocabulary;
    RETURN NULL;
END $$;

CREATE TRIGGER sentences_vocabulary_add AFTER INSERT ON sentences
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION briefbot_vocabulary_add();
CREATE TRIGGER sentences_vocabulary_remove AFTER DELETE ON sentences
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION briefbot_vocabulary_remove();
CREATE TRIGGER sentences_vocabulary_change AFTER UPDATE ON sentences
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION briefbot_vocabulary_change();
CREATE TRIGGER sentences_vocabulary_clear AFTER TRUNCATE ON sentences
    FOR EACH STATEMENT EXECUTE FUNCTION briefbot_vocabulary_clear();

INSERT INTO vocabulary (kind, term, df)
SELECT t.kind, t.term, count(*) FROM sentences AS s, briefbot_terms(s.norm) AS t
GROUP BY t.kind, t.term;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm may not be created here: quote lookup stays in memory';
            RETURN;
        END;
        EXECUTE 'CREATE INDEX vocabulary_trigrams ON vocabulary'
                ' USING gin (term gin_trgm_ops) WHERE kind = ''w''';
    ELSE
        RAISE NOTICE 'pg_trgm is not installed: quote lookup stays in memory';
    END IF;
END $$;
