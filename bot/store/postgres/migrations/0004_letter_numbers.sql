-- 0004: letter numbers and names per scope (see SQLite's 0004): `number` within the scope
-- (the global one, or a server's), never reused (`letter_numbers` keeps the last one given);
-- `slug` unique within a scope only.

ALTER TABLE letters ADD COLUMN number integer;
UPDATE letters AS l SET number = n.number
FROM (SELECT id, row_number() OVER (PARTITION BY coalesce(guild_id, 0) ORDER BY id) AS number
      FROM letters) AS n
WHERE n.id = l.id;
ALTER TABLE letters ALTER COLUMN number SET NOT NULL;
ALTER TABLE letters ADD CONSTRAINT letters_number_positive CHECK (number >= 1);

DROP INDEX letters_slug;
CREATE UNIQUE INDEX letters_number_scope ON letters (coalesce(guild_id, 0), number);
CREATE UNIQUE INDEX letters_slug_scope ON letters (coalesce(guild_id, 0), lower(slug));

CREATE TABLE letter_numbers (
    scope bigint  PRIMARY KEY,
    last  integer NOT NULL CHECK (last >= 0)
);
INSERT INTO letter_numbers (scope, last)
SELECT coalesce(guild_id, 0), max(number) FROM letters GROUP BY coalesce(guild_id, 0);
