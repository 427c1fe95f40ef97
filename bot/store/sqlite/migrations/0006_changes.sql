-- 0006: the change feed (bot.store.base.ChangeFeed): what one bot process changed that the
-- others must take in (a letter stored or deleted, subscriptions or followed sources changed).
-- Ids only grow (AUTOINCREMENT: never reused after a prune), so a reader's cursor is the id
-- of the last change it applied. Old changes are pruned once every process has read them.

CREATE TABLE changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('letter-added', 'letter-removed', 'subscriptions', 'sources')),
    key         INTEGER,
    origin      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX changes_created_at ON changes (created_at);
