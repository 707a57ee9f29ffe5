-- Notes of the TPN's result (unit_predicates.notes, one per line) turned into action
-- steps of the next year's targets: which note became which step.
CREATE TABLE lke_note_steps (
    year       INTEGER NOT NULL,
    note       TEXT    NOT NULL,
    step_id    INTEGER NOT NULL REFERENCES action_steps(id),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (year, note, step_id)
);
