-- Rejected PortalRB calls are counted per address, status and minute instead of one
-- row each: a flood of bad tokens raises a count rather than growing the file.
CREATE TABLE api_failures_per_minute (
    at     INTEGER NOT NULL,   -- the minute's start, Unix seconds
    ip     TEXT    NOT NULL,
    status INTEGER NOT NULL,
    count  INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (at, ip, status)
);
INSERT INTO api_failures_per_minute (at, ip, status, count)
    SELECT at - at % 60, ip, status, count(*) FROM api_failures
    GROUP BY at - at % 60, ip, status;
DROP TABLE api_failures;
ALTER TABLE api_failures_per_minute RENAME TO api_failures;
