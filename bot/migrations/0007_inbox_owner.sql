-- Several workers on one database (PostgreSQL, issue 14): which worker stored an update it has
-- not handled yet, and which workers are alive. A worker takes over the unhandled updates of a
-- worker that stopped beating (killed), never those of one that is still at work. One process
-- on SQLite leaves `owner` empty and takes every unhandled update at start, as before.
ALTER TABLE inbox ADD COLUMN owner TEXT;

CREATE TABLE inbox_workers (
    worker TEXT PRIMARY KEY,        -- a random id, new at every start
    seen_at INTEGER NOT NULL        -- seconds since 1970 (UTC): its last heartbeat
)
