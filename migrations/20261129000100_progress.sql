-- Per-semester work on the action steps: who is assigned, what was done (with every
-- version kept), the evidence (bukti dukung), and the reviewers' verdicts.
-- A step belongs to one target year, so a period of a step is just its semester.

-- Reporting deadline of a period (year + semester), set by an admin.
CREATE TABLE period_deadlines (
    year       INTEGER NOT NULL REFERENCES target_years(year),
    semester   INTEGER NOT NULL CHECK (semester IN (1, 2)),
    deadline   TEXT    NOT NULL,           -- YYYY-MM-DD, Asia/Jakarta
    PRIMARY KEY (year, semester)
);

-- PIC users of each step (one or more).
CREATE TABLE step_assignments (
    step_id     INTEGER NOT NULL REFERENCES action_steps(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (step_id, user_id)
);
CREATE INDEX step_assignments_user ON step_assignments(user_id);

-- The unit responsible for carrying out a step, when recorded.
CREATE TABLE step_responsible_units (
    step_id INTEGER PRIMARY KEY REFERENCES action_steps(id),
    unit_id INTEGER NOT NULL REFERENCES units(id)
);

-- The current progress of a step in a semester; `version` counts its saves.
CREATE TABLE progress (
    id          INTEGER PRIMARY KEY,
    step_id     INTEGER NOT NULL REFERENCES action_steps(id),
    semester    INTEGER NOT NULL CHECK (semester IN (1, 2)),
    version     INTEGER NOT NULL CHECK (version >= 1),
    status      TEXT    NOT NULL CHECK (status IN ('belum', 'berjalan', 'selesai', 'tidak_dapat')),
    realization INTEGER NOT NULL CHECK (realization BETWEEN 0 AND 100),
    narrative   TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  TEXT    NOT NULL,
    UNIQUE (step_id, semester)
);

-- Every saved version, the current one included (append-only).
CREATE TABLE progress_history (
    id          INTEGER PRIMARY KEY,
    progress_id INTEGER NOT NULL REFERENCES progress(id),
    version     INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    realization INTEGER NOT NULL,
    narrative   TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    changed_by  INTEGER NOT NULL REFERENCES users(id),
    changed_at  TEXT    NOT NULL,
    UNIQUE (progress_id, version)
);
CREATE TRIGGER progress_history_append_only_update BEFORE UPDATE ON progress_history
BEGIN
    SELECT RAISE(ABORT, 'progress_history is append-only');
END;
CREATE TRIGGER progress_history_append_only_delete BEFORE DELETE ON progress_history
BEGIN
    SELECT RAISE(ABORT, 'progress_history is append-only');
END;

-- Evidence items: a file (bytes stored under the data dir by a generated name) or a
-- link. Removal is soft; a replacement is a new row pointing at the one it replaces.
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY,
    step_id       INTEGER NOT NULL REFERENCES action_steps(id),
    semester      INTEGER NOT NULL CHECK (semester IN (1, 2)),
    kind          TEXT    NOT NULL CHECK (kind IN ('file', 'link')),
    label         TEXT    NOT NULL,
    url           TEXT,
    stored_name   TEXT,
    media_type    TEXT,
    size          INTEGER,
    sha256        TEXT,
    replaces_id   INTEGER REFERENCES evidence(id),
    uploaded_by   INTEGER NOT NULL REFERENCES users(id),
    uploaded_at   TEXT    NOT NULL,
    removed_at    TEXT,
    removed_by    INTEGER REFERENCES users(id),
    removed_note  TEXT,
    CHECK ((kind = 'file' AND stored_name IS NOT NULL AND sha256 IS NOT NULL AND size IS NOT NULL)
        OR (kind = 'link' AND url IS NOT NULL))
);
CREATE INDEX evidence_step ON evidence(step_id, semester);

-- Review verdicts; a verdict speaks for the progress version it was given on.
CREATE TABLE reviews (
    id               INTEGER PRIMARY KEY,
    step_id          INTEGER NOT NULL REFERENCES action_steps(id),
    semester         INTEGER NOT NULL CHECK (semester IN (1, 2)),
    progress_version INTEGER NOT NULL,
    verdict          TEXT    NOT NULL CHECK (verdict IN ('diterima', 'perbaikan')),
    note             TEXT    NOT NULL DEFAULT '',
    reviewer_id      INTEGER NOT NULL REFERENCES users(id),
    reviewed_at      TEXT    NOT NULL
);
CREATE INDEX reviews_step ON reviews(step_id, semester, id);
