-- LKE master per year (PermenPAN-RB 90/2021), loaded from PortalRB's JSON.
-- lke_count_groups.numerator / denominator: question ids joined by ",".
-- For formula 'decrease': numerator = last year's count, denominator = this year's.
-- extra_json: keys of the PortalRB node/question this schema does not know, as a JSON object, or NULL.
CREATE TABLE lke_years (year INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100), total_soal INTEGER, generated_at TEXT, loaded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));
CREATE TABLE lke_nodes (year INTEGER NOT NULL REFERENCES lke_years(year), id INTEGER NOT NULL, parent_id INTEGER, level TEXT NOT NULL, name TEXT NOT NULL, weight REAL NOT NULL, position INTEGER NOT NULL, extra_json TEXT, PRIMARY KEY (year, id));
CREATE TABLE lke_questions (year INTEGER NOT NULL REFERENCES lke_years(year), id INTEGER NOT NULL, node_id INTEGER NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL, criteria TEXT NOT NULL, answer_type TEXT NOT NULL, weight REAL NOT NULL, excel_sheet TEXT NOT NULL, excel_row INTEGER NOT NULL, col_unit_answer TEXT NOT NULL, col_unit_note TEXT NOT NULL, col_unit_evidence TEXT NOT NULL, col_tpi_answer TEXT NOT NULL, col_tpi_note TEXT NOT NULL, extra_json TEXT, PRIMARY KEY (year, id), FOREIGN KEY (year, node_id) REFERENCES lke_nodes(year, id));
CREATE TABLE lke_scheme (year INTEGER NOT NULL, question_id INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, multiplier REAL NOT NULL, PRIMARY KEY (year, question_id, key), FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id));
CREATE TABLE lke_count_groups (year INTEGER NOT NULL REFERENCES lke_years(year), id INTEGER NOT NULL, node_id INTEGER NOT NULL, label TEXT NOT NULL, formula TEXT NOT NULL CHECK (formula IN ('ratio','decrease')), numerator TEXT NOT NULL, denominator TEXT NOT NULL, stated INTEGER NOT NULL CHECK (stated IN (0,1)), PRIMARY KEY (year, id));

-- Answers to a year's LKE, two sides per question: the unit's own (self-assessment)
-- and the TPI's (the internal evaluators'). One current answer per side and question;
-- every version is kept in lke_answer_history. `answer` is the canonical text
-- (a scheme key such as "A" or "Ya", or a number such as "12" or "3.6"); NULL when
-- cleared.
CREATE TABLE lke_answers (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    side        TEXT    NOT NULL CHECK (side IN ('unit', 'tpi')),
    version     INTEGER NOT NULL CHECK (version >= 1),
    answer      TEXT,
    note        TEXT    NOT NULL DEFAULT '',
    -- the unit's evidence: a URL or a description (the TPI side leaves it empty)
    evidence    TEXT    NOT NULL DEFAULT '',
    answered_by INTEGER NOT NULL REFERENCES users(id),
    answered_at TEXT    NOT NULL,
    UNIQUE (year, question_id, side),
    FOREIGN KEY (year, question_id) REFERENCES lke_questions(year, id)
);

CREATE TABLE lke_answer_history (
    id          INTEGER PRIMARY KEY,
    answer_id   INTEGER NOT NULL REFERENCES lke_answers(id),
    version     INTEGER NOT NULL,
    answer      TEXT,
    note        TEXT    NOT NULL,
    evidence    TEXT    NOT NULL,
    answered_by INTEGER NOT NULL REFERENCES users(id),
    answered_at TEXT    NOT NULL,
    UNIQUE (answer_id, version)
);
CREATE TRIGGER lke_answer_history_append_only_update BEFORE UPDATE ON lke_answer_history
BEGIN
    SELECT RAISE(ABORT, 'lke_answer_history is append-only');
END;
CREATE TRIGGER lke_answer_history_append_only_delete BEFORE DELETE ON lke_answer_history
BEGIN
    SELECT RAISE(ABORT, 'lke_answer_history is append-only');
END;

-- The unit's predicates by year (from the TPN's decision), e.g. WBK held since 2024.
CREATE TABLE unit_predicates (
    year        INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    predicate   TEXT    NOT NULL CHECK (predicate IN ('WBK', 'WBBM', 'TIDAK')),
    tpn_score   REAL,
    notes       TEXT    NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users(id),
    recorded_at TEXT    NOT NULL
);
