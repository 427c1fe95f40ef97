-- 0007: nothing changes on SQLite. PostgreSQL's 0007 keeps a vocabulary of the stored
-- sentences in the database, for the candidates of quote lookups and questions there; a
-- SQLite store's indexes live in the bot's process (bot/core/quote_index.py,
-- bot/core/bm25.py). The number is taken here too: both backends count the same schema
-- versions (`briefbot copy` needs them equal).
SELECT 1;
