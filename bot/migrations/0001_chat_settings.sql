-- What the bot keeps per chat: its language and chosen area, nothing else. /stop deletes the row.
CREATE TABLE chat_settings (
    chat_id INTEGER PRIMARY KEY,
    language TEXT,
    area TEXT,
    buurt TEXT
);
