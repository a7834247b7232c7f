-- The inbox of fetched Telegram updates (issue 12). Each update is stored before it is confirmed
-- to Telegram, so a crash cannot lose it. `payload` (the update as JSON: what a person typed) is
-- set to NULL the moment the update is handled. The id alone stays, so a second delivery of the
-- same update is recognised and not handled again. Handled ids are deleted after a day, and only
-- the newest 100,000 are kept (bot/inbox.py).
CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    payload TEXT,                   -- NULL once handled
    received_at INTEGER NOT NULL    -- seconds since 1970 (UTC) when it was stored
);
