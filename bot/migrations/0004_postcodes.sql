-- The exact postcode table, imported from the CBS file "buurt, wijk en gemeente voor
-- postcode-huisnummer" by `meldwijzer import-cbs` (gemeente 0935 only). Each import replaces
-- all three tables. Nothing a resident types is stored here.

-- Every PC6 of Maastricht with the buurten its addresses lie in (usually one).
CREATE TABLE postcode_buurten (
    pc6 TEXT NOT NULL,
    buurt_code TEXT NOT NULL,
    buurt TEXT NOT NULL,
    area TEXT NOT NULL,
    addresses INTEGER NOT NULL,
    PRIMARY KEY (pc6, buurt_code)
);

-- House numbers, only for the few PC6s that span more than one buurt.
CREATE TABLE postcode_house_numbers (
    pc6 TEXT NOT NULL,
    huisnummer INTEGER NOT NULL,
    buurt_code TEXT NOT NULL,
    PRIMARY KEY (pc6, huisnummer)
);

-- The one import the tables hold: when, from which file, which CBS year.
CREATE TABLE postcode_import (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    imported_at TEXT NOT NULL,
    source_file TEXT NOT NULL,
    year TEXT NOT NULL,
    addresses INTEGER NOT NULL,
    postcodes INTEGER NOT NULL
)
