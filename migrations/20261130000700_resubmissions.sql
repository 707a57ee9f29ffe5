-- A PIC's answer to a fix request: "Ajukan ulang untuk reviu". It sends the step back
-- to the reviewers (the fix request it answers no longer stands) without a new
-- progress version, e.g. after only the evidence was corrected.
CREATE TABLE resubmissions (
    id        INTEGER PRIMARY KEY,
    step_id   INTEGER NOT NULL REFERENCES action_steps(id),
    semester  INTEGER NOT NULL CHECK (semester IN (1, 2)),
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    note      TEXT    NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    at        TEXT    NOT NULL
);
CREATE INDEX resubmissions_review ON resubmissions(review_id);
CREATE INDEX resubmissions_step ON resubmissions(step_id, semester, id);
