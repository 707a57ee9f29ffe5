-- no-transaction
-- Many work units on one server. The single unit of earlier releases becomes work
-- unit 1 of an instansi; everything it held (target years, progress, evidence,
-- reviews, LKE answers, predicates, deadlines) stays with it. Accounts get roles per
-- unit. Tables whose keys gain the unit are rebuilt (SQLite cannot change a key in
-- place), which needs foreign keys off: hence one explicit transaction here.
PRAGMA foreign_keys = OFF;
BEGIN;

-- The organisation running the server; one row.
CREATE TABLE instansi (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT    NOT NULL
);
INSERT INTO instansi (id, name)
SELECT 1, COALESCE((SELECT name FROM units WHERE kind = 'pusat' ORDER BY id LIMIT 1), 'Instansi');

-- The tenants: work units building their ZI. The code never changes.
CREATE TABLE work_units (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT    NOT NULL,
    parent_id  INTEGER REFERENCES work_units(id),
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    retired_at TEXT
);
INSERT INTO work_units (id, code, name)
SELECT 1, code, name FROM units WHERE kind = 'instansi' ORDER BY id LIMIT 1;
INSERT OR IGNORE INTO work_units (id, code, name) VALUES (1, 'unit', 'Unit kerja');

-- Accounts: the instansi-wide role, if any, on the account; unit roles beside it.
CREATE TABLE users_new (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name         TEXT    NOT NULL,
    instansi_role        TEXT    CHECK (instansi_role IN ('admin-instansi', 'pimpinan-instansi')),
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO users_new (id, username, display_name, instansi_role, password_hash,
                       must_change_password, active, created_at, updated_at)
SELECT id, username, display_name, CASE role WHEN 'admin' THEN 'admin-instansi' END,
       password_hash, must_change_password, active, created_at, updated_at
FROM users;

-- One role per person and unit. Earlier accounts all belonged to the one unit
-- (users.unit_id named an organisation, never a second tenant).
CREATE TABLE user_units (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES work_units(id),
    role    TEXT    NOT NULL CHECK (role IN ('admin', 'pimpinan', 'staf', 'penilai')),
    PRIMARY KEY (user_id, unit_id)
);
CREATE INDEX user_units_by_unit ON user_units(unit_id, role);
INSERT INTO user_units (user_id, unit_id, role)
SELECT id, 1, role FROM users WHERE role <> 'admin';

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- The unit a session is looking at, for addresses without /u/{kode}.
ALTER TABLE sessions ADD COLUMN unit_id INTEGER REFERENCES work_units(id);

-- Target years and their components belong to a unit.
-- Seed migrations written for a single unit (INSERT without unit_id) load into the
-- first unit, hence the default.
CREATE TABLE target_years_new (
    unit_id    INTEGER NOT NULL DEFAULT 1 REFERENCES work_units(id),
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    title      TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (unit_id, year)
);
INSERT INTO target_years_new (unit_id, year, title, created_at)
SELECT 1, year, title, created_at FROM target_years;
DROP TABLE target_years;
ALTER TABLE target_years_new RENAME TO target_years;

CREATE TABLE components_new (
    id       INTEGER PRIMARY KEY,
    unit_id  INTEGER NOT NULL DEFAULT 1,
    year     INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 6),
    numeral  TEXT    NOT NULL CHECK (numeral IN ('I', 'II', 'III', 'IV', 'V', 'VI')),
    name     TEXT    NOT NULL,
    UNIQUE (unit_id, year, position),
    UNIQUE (unit_id, year, numeral),
    FOREIGN KEY (unit_id, year) REFERENCES target_years(unit_id, year)
);
INSERT INTO components_new (id, unit_id, year, position, numeral, name)
SELECT id, 1, year, position, numeral, name FROM components;
DROP TABLE components;
ALTER TABLE components_new RENAME TO components;

-- Deadlines: an instansi default per period (unit_id NULL), overridable per unit.
-- The one unit's deadlines stay its own.
CREATE TABLE period_deadlines_new (
    unit_id  INTEGER REFERENCES work_units(id),
    year     INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    semester INTEGER NOT NULL CHECK (semester IN (1, 2)),
    deadline TEXT    NOT NULL
);
CREATE UNIQUE INDEX period_deadlines_key ON period_deadlines_new(COALESCE(unit_id, 0), year, semester);
INSERT INTO period_deadlines_new (unit_id, year, semester, deadline)
SELECT 1, year, semester, deadline FROM period_deadlines;
DROP TABLE period_deadlines;
ALTER TABLE period_deadlines_new RENAME TO period_deadlines;

-- Component weights follow the regulation of a year: the same for every unit.
CREATE TABLE component_weights_new (
    year    INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    numeral TEXT    NOT NULL CHECK (numeral IN ('I', 'II', 'III', 'IV', 'V', 'VI')),
    weight  REAL    NOT NULL CHECK (weight >= 0 AND weight <= 100),
    PRIMARY KEY (year, numeral)
);
INSERT INTO component_weights_new SELECT year, numeral, weight FROM component_weights;
DROP TABLE component_weights;
ALTER TABLE component_weights_new RENAME TO component_weights;

-- LKE answers, PICs, the year's locks and the predicate record are the unit's; the
-- master stays the instansi's, per year.
CREATE TABLE lke_answers_new (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL REFERENCES work_units(id),
    year              INTEGER NOT NULL,
    question_id       INTEGER NOT NULL,
    side              TEXT    NOT NULL CHECK (side IN ('unit', 'tpi')),
    version           INTEGER NOT NULL CHECK (version >= 1),
    answer            TEXT,
    note              TEXT    NOT NULL DEFAULT '',
    evidence          TEXT    NOT NULL DEFAULT '',
    answered_by       INTEGER NOT NULL REFERENCES users(id),
    answered_at       TEXT    NOT NULL,
    seen_unit_version INTEGER,
    draft_from        INTEGER,
    UNIQUE (unit_id, year, question_id, side),
    FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id)
);
INSERT INTO lke_answers_new (id, unit_id, year, question_id, side, version, answer, note,
                             evidence, answered_by, answered_at, seen_unit_version, draft_from)
SELECT id, 1, year, question_id, side, version, answer, note, evidence, answered_by,
       answered_at, seen_unit_version, draft_from
FROM lke_answers;
DROP TABLE lke_answers;
ALTER TABLE lke_answers_new RENAME TO lke_answers;

CREATE TABLE lke_assignments_new (
    unit_id     INTEGER NOT NULL REFERENCES work_units(id),
    year        INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TEXT    NOT NULL,
    PRIMARY KEY (unit_id, year, question_id, user_id),
    FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id)
);
INSERT INTO lke_assignments_new (unit_id, year, question_id, user_id, assigned_by, assigned_at)
SELECT 1, year, question_id, user_id, assigned_by, assigned_at FROM lke_assignments;
DROP TABLE lke_assignments;
ALTER TABLE lke_assignments_new RENAME TO lke_assignments;
CREATE INDEX lke_assignments_by_user ON lke_assignments(user_id, unit_id, year);

CREATE TABLE lke_year_state_new (
    unit_id           INTEGER NOT NULL REFERENCES work_units(id),
    year              INTEGER NOT NULL REFERENCES lke_years(year),
    unit_submitted_at TEXT,
    unit_submitted_by INTEGER REFERENCES users(id),
    tpi_final_at      TEXT,
    tpi_final_by      INTEGER REFERENCES users(id),
    unit_deadline     TEXT,
    tpi_deadline      TEXT,
    PRIMARY KEY (unit_id, year)
);
INSERT INTO lke_year_state_new (unit_id, year, unit_submitted_at, unit_submitted_by,
                                tpi_final_at, tpi_final_by, unit_deadline, tpi_deadline)
SELECT 1, year, unit_submitted_at, unit_submitted_by, tpi_final_at, tpi_final_by,
       unit_deadline, tpi_deadline
FROM lke_year_state;
DROP TABLE lke_year_state;
ALTER TABLE lke_year_state_new RENAME TO lke_year_state;

CREATE TABLE unit_predicates_new (
    unit_id     INTEGER NOT NULL REFERENCES work_units(id),
    year        INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    predicate   TEXT    NOT NULL CHECK (predicate IN ('WBK', 'WBBM', 'TIDAK')),
    tpn_score   REAL,
    notes       TEXT    NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users(id),
    recorded_at TEXT    NOT NULL,
    PRIMARY KEY (unit_id, year)
);
INSERT INTO unit_predicates_new (unit_id, year, predicate, tpn_score, notes, recorded_by, recorded_at)
SELECT 1, year, predicate, tpn_score, notes, recorded_by, recorded_at FROM unit_predicates;
DROP TABLE unit_predicates;
ALTER TABLE unit_predicates_new RENAME TO unit_predicates;

-- Which unit an audit entry concerns (NULL: the instansi as a whole). Entries from
-- before this release all concern the one unit.
ALTER TABLE audit_log ADD COLUMN unit_id INTEGER;
DROP TRIGGER audit_log_append_only_update;
UPDATE audit_log SET unit_id = 1;
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE INDEX audit_log_unit ON audit_log(unit_id, id);

-- Lookups by unit that every page makes.
CREATE INDEX components_by_unit ON components(unit_id, year);

COMMIT;
PRAGMA foreign_keys = ON;
