-- Working the LKE: who answers which question, the year's submission and
-- finalisation, deadlines, the TPI's view of the unit answer it evaluated, drafts
-- carried from last year, and the action steps that serve each question.

-- The staff PICs of a question (the unit's answer is theirs and the admin's to change).
CREATE TABLE lke_assignments (
    year        INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TEXT    NOT NULL,
    PRIMARY KEY (year, question_id, user_id),
    FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id)
);
CREATE INDEX lke_assignments_by_user ON lke_assignments(user_id, year);

-- Per year: the unit's submission to the TPI and the TPI's final mark (each locks its
-- side while set), and the deadlines of both. Dates are YYYY-MM-DD.
CREATE TABLE lke_year_state (
    year              INTEGER PRIMARY KEY REFERENCES lke_years(year),
    unit_submitted_at TEXT,
    unit_submitted_by INTEGER REFERENCES users(id),
    tpi_final_at      TEXT,
    tpi_final_by      INTEGER REFERENCES users(id),
    unit_deadline     TEXT,
    tpi_deadline      TEXT
);

-- On a TPI answer: the version of the unit's answer it evaluated (a newer unit
-- version means "perlu dinilai ulang"). On a unit answer: the year it was carried
-- from, while it is an unconfirmed draft (drafts do not score).
ALTER TABLE lke_answers ADD COLUMN seen_unit_version INTEGER;
ALTER TABLE lke_answers ADD COLUMN draft_from INTEGER;

-- The action steps that serve a question of their year.
CREATE TABLE lke_step_questions (
    step_id     INTEGER NOT NULL REFERENCES action_steps(id),
    year        INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    PRIMARY KEY (step_id, question_id),
    FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id)
);
CREATE INDEX lke_step_questions_by_question ON lke_step_questions(year, question_id);
