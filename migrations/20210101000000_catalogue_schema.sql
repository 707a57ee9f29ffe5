-- Target catalogue: the LKE hierarchy of a target year (component > area > indicator
-- > action step) and who holds authority for each step.

CREATE TABLE target_years (
    year        INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    title       TEXT    NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Organisational units: the unit itself, the ministry centre, bureaus.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    -- 'instansi' = the work unit itself, 'pusat' = ministry centre, 'biro' = a bureau
    kind        TEXT    NOT NULL CHECK (kind IN ('instansi', 'pusat', 'biro', 'lainnya')),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE components (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL REFERENCES target_years(year),
    position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 6),
    numeral     TEXT    NOT NULL CHECK (numeral IN ('I', 'II', 'III', 'IV', 'V', 'VI')),
    name        TEXT    NOT NULL,
    UNIQUE (year, position),
    UNIQUE (year, numeral)
);

CREATE TABLE areas (
    id           INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id),
    position     INTEGER NOT NULL CHECK (position >= 1),
    name         TEXT    NOT NULL,
    UNIQUE (component_id, position)
);

CREATE TABLE indicators (
    id          INTEGER PRIMARY KEY,
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    position    INTEGER NOT NULL CHECK (position >= 1),
    text        TEXT    NOT NULL,
    UNIQUE (area_id, position)
);

CREATE TABLE action_steps (
    id             INTEGER PRIMARY KEY,
    indicator_id   INTEGER NOT NULL REFERENCES indicators(id),
    position       INTEGER NOT NULL CHECK (position >= 1),
    text           TEXT    NOT NULL,
    -- the KEWENANGAN BERDASARKAN TUSI cell as the unit wrote it
    authority_text TEXT    NOT NULL,
    UNIQUE (indicator_id, position)
);

-- The units an action step's authority involves (one or more).
CREATE TABLE step_authorities (
    step_id     INTEGER NOT NULL REFERENCES action_steps(id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (step_id, unit_id)
);
CREATE INDEX step_authorities_unit ON step_authorities(unit_id);

INSERT INTO units (code, name, kind) VALUES
    ('balitnak', 'Balai Penelitian Ternak', 'instansi'),
    ('pusat', 'Kementerian Pertanian', 'pusat'),
    ('biro-humas', 'Biro HUMAS Kementan', 'biro');
