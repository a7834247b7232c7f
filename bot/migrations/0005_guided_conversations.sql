-- Where a staff member is in a guided conversation (/spreekuur_nieuw, /spreekuur_wijzig): one row
-- per conversation, chat and user, read afresh for every message, so the conversation goes on
-- after a restart or a crash, and on another worker. Staff input only (the answers typed so far),
-- never a resident's text. The row is deleted when the conversation ends.
CREATE TABLE guided_conversations (
    name TEXT NOT NULL,               -- which conversation: spreekuur_nieuw, spreekuur_wijzig
    chat_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,          -- Telegram user id of the staff member
    step TEXT NOT NULL,               -- the question asked last
    draft TEXT NOT NULL,              -- JSON object: the answers so far
    update_id BIGINT,                 -- the last update applied (one delivered twice counts once)
    updated_at TEXT NOT NULL,         -- UTC ISO 8601, the last answer taken
    PRIMARY KEY (name, chat_id, user_id)
);

CREATE INDEX guided_conversations_by_time ON guided_conversations (updated_at)
