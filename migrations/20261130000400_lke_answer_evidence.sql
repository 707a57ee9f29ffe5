-- The tracker's own evidence items (files and links of action steps) that back a
-- unit's LKE answer, beside its free URL or description.
CREATE TABLE lke_answer_evidence (
    answer_id   INTEGER NOT NULL REFERENCES lke_answers(id),
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    PRIMARY KEY (answer_id, evidence_id)
);
CREATE INDEX lke_answer_evidence_by_evidence ON lke_answer_evidence(evidence_id);
