-- 0006: the change feed (bot.store.base.ChangeFeed; as SQLite's 0006_changes.sql): what one
-- bot process changed that the others must take in. Readers are woken by NOTIFY on the
-- channel briefbot_changes (bot/store/postgres/changes.py), and read on from their cursor.

CREATE TABLE changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL
                CHECK (kind IN ('letter-added', 'letter-removed', 'subscriptions', 'sources')),
    key         BIGINT,
    origin      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_created_at ON changes (created_at);
