-- Spreekuren and the staff who publish them. Staff data only: nothing a resident typed.
-- Times are local wall-clock times in Europe/Amsterdam (dates YYYY-MM-DD, times HH:MM), so a
-- weekly spreekuur stays at 14:00 across the change to and from summer time. Moments of change
-- (added_at, created_at, at, ...) are UTC ISO 8601.

-- Who may publish. Admins come from MELDWIJZER_ADMINS and are not stored.
CREATE TABLE staff (
    user_id INTEGER PRIMARY KEY,          -- Telegram user id
    name TEXT NOT NULL DEFAULT '',
    added_by INTEGER NOT NULL,
    added_at TEXT NOT NULL
);

-- The areas each staff member publishes for (area ids: noord-oost, zuid-oost, ...).
CREATE TABLE staff_areas (
    user_id INTEGER NOT NULL REFERENCES staff(user_id) ON DELETE CASCADE,
    area TEXT NOT NULL,
    PRIMARY KEY (user_id, area)
);

-- One spreekuur: a single date, or a series (rule + until) from first_date on.
CREATE TABLE spreekuren (
    id INTEGER PRIMARY KEY,
    area TEXT NOT NULL,
    first_date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL CHECK (end_time > start_time),
    place TEXT NOT NULL CHECK (place <> ''),
    note TEXT NOT NULL DEFAULT '',
    rule TEXT,                            -- NULL once, else 'weekly:2' or 'monthly:1:1' (nth, weekday)
    until_date TEXT,                      -- last possible date of a series
    cancelled_at TEXT,                    -- the whole spreekuur (or series) is called off
    revision INTEGER NOT NULL DEFAULT 0,  -- raised by each edit: the iCalendar SEQUENCE
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((rule IS NULL) = (until_date IS NULL)),
    CHECK (until_date IS NULL OR until_date >= first_date)
);

CREATE INDEX spreekuren_by_area ON spreekuren (area, first_date);

-- One cancelled date of a spreekuur: the series itself stays as it is.
CREATE TABLE spreekuur_cancellations (
    spreekuur_id INTEGER NOT NULL REFERENCES spreekuren(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    cancelled_by INTEGER NOT NULL,
    cancelled_at TEXT NOT NULL,
    PRIMARY KEY (spreekuur_id, day)
);

-- Every staff change and every refused attempt: who, what, when. Never the text typed.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor INTEGER,                        -- Telegram user id of staff or admin, NULL: refused
                                          -- someone who is not staff (their id is not kept)
    action TEXT NOT NULL,                 -- staff.add, spreekuur.create, spreekuur.cancel, ...
    allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    area TEXT,
    target TEXT,                          -- the staff member or spreekuur id acted on
    detail TEXT NOT NULL DEFAULT ''       -- JSON: what changed
);

CREATE INDEX audit_log_by_time ON audit_log (at);
