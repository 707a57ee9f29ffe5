-- Sign-in attempts are reserved before the password is checked ('pending', then
-- 'success' or 'failure'), so concurrent attempts count each other; an admin lifting
-- a lock leaves a 'lifted' row. The table only holds prunable throttling data, so it
-- is rebuilt with the wider set of outcomes.
CREATE TABLE login_attempts_new (
    id       INTEGER PRIMARY KEY,
    username TEXT    NOT NULL COLLATE NOCASE,
    ip       TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    outcome  TEXT    NOT NULL
             CHECK (outcome IN ('success', 'failure', 'blocked', 'pending', 'lifted'))
);
INSERT INTO login_attempts_new (id, username, ip, at, outcome)
SELECT id, username, ip, at, outcome FROM login_attempts;
DROP TABLE login_attempts;
ALTER TABLE login_attempts_new RENAME TO login_attempts;
CREATE INDEX login_attempts_user ON login_attempts(username, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
