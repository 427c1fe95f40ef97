-- 0003: digest subscriptions, their delivery log (exactly one digest per subscription and due
-- date), and the rotation of "recommendation of the day".

CREATE TABLE subscriptions (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('channel', 'user')),
    guild_id       INTEGER,            -- server whose letters it may show; NULL: bundled only
    channel_id     INTEGER,            -- target channel (kind = 'channel')
    user_id        INTEGER NOT NULL,   -- recipient (kind = 'user') or who set it up ('channel')
    target_key     TEXT    NOT NULL UNIQUE,  -- 'channel:<id>' or 'user:<id>': one per target
    local_time     TEXT    NOT NULL,   -- HH:MM in `timezone`
    timezone       TEXT    NOT NULL,   -- IANA name
    frequency      TEXT    NOT NULL CHECK (frequency IN ('daily', 'weekdays', 'weekly')),
    weekday        INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    topics         TEXT    NOT NULL DEFAULT '[]',  -- JSON list of topic slugs; [] = all
    language       TEXT    NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    skip_empty     INTEGER NOT NULL DEFAULT 0 CHECK (skip_empty IN (0, 1)),
    next_due       TEXT    NOT NULL,   -- aware UTC ISO-8601 of the next due occurrence
    next_due_date  TEXT    NOT NULL,   -- its local date, YYYY-MM-DD
    seen_letter_id INTEGER NOT NULL DEFAULT 0,  -- letters above this id are new to it
    paused_reason  TEXT,               -- NULL: active
    paused_at      TEXT,
    notified       INTEGER NOT NULL DEFAULT 0 CHECK (notified IN (0, 1)),
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (next_due) WHERE paused_reason IS NULL;
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);
CREATE INDEX subscriptions_user ON subscriptions (user_id);

CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    due_date        TEXT    NOT NULL,  -- local date of the occurrence, YYYY-MM-DD
    due_at          TEXT    NOT NULL,  -- aware UTC ISO-8601
    status          TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'missed', 'failed')),
    claimed_by      TEXT,              -- the process that claimed it
    claimed_at      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    message_id      INTEGER,
    error           TEXT,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (subscription_id, due_date)
);
CREATE INDEX deliveries_status ON deliveries (status);

CREATE TABLE digest_rotation (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    item_key        TEXT    NOT NULL,  -- '<letter_id>:<sentence>' of a recommendation shown
    shown_at        TEXT    NOT NULL,
    PRIMARY KEY (subscription_id, item_key)
);
