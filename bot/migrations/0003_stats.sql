-- Anonymised counters (issue 6): one row per cell, added to when a question is answered (upsert),
-- so no record of a single question ever exists. No text, no chat or user id, no exact time:
-- a day (or a whole month, after retention) and the hour of the week are the finest time kept.
-- Missing values are the string 'unknown', never NULL (NULLs would defeat the upsert key).
CREATE TABLE stats_counts (
    day TEXT NOT NULL,              -- YYYY-MM-DD in Europe/Amsterdam, the 1st when whole_month = 1
    whole_month INTEGER NOT NULL DEFAULT 0 CHECK (whole_month IN (0, 1)),
    hour_of_week INTEGER NOT NULL CHECK (hour_of_week BETWEEN 0 AND 167),  -- Monday 00:00 = 0
    area TEXT NOT NULL,             -- LWA area id or 'unknown'
    pc4 TEXT NOT NULL,              -- four digits, only when the resident gave a postcode
    situation TEXT NOT NULL,        -- meldkaart situation id or 'unknown' (not recognised)
    theme TEXT NOT NULL,            -- meldkaart theme of the situation
    channel TEXT NOT NULL,          -- channel id or 'unknown'
    emergency INTEGER NOT NULL CHECK (emergency IN (0, 1)),
    language TEXT NOT NULL,
    door TEXT NOT NULL,             -- telegram, web, api or cli
    kind TEXT NOT NULL CHECK (kind IN ('question', 'helpful', 'unhelpful')),
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (day, whole_month, hour_of_week, area, pc4, situation, theme, channel, emergency,
                 language, door, kind)
) WITHOUT ROWID;

CREATE INDEX stats_counts_by_area ON stats_counts (area, day);
