-- Handing the LKE to PortalRB: which units the instansi proposes per year, the
-- proposal window, the Bearer tokens PortalRB calls with (a hash only), and the
-- rejected calls (counted here, prunable; valid calls are in the audit trail).
CREATE TABLE portalrb_windows (
    year   INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    opens  TEXT    NOT NULL,   -- YYYY-MM-DD, Asia/Jakarta
    closes TEXT    NOT NULL
);

CREATE TABLE portalrb_proposals (
    year        INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    unit_id     INTEGER NOT NULL REFERENCES work_units(id),
    kategori    TEXT    NOT NULL CHECK (kategori IN ('WBK', 'WBK-AFIRMASI', 'WBBM')),
    proposed_at TEXT    NOT NULL,
    PRIMARY KEY (year, unit_id)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT,
    last_used_ip TEXT
);

CREATE TABLE api_failures (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    ip     TEXT    NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX api_failures_at ON api_failures(at);

-- Links for the national evaluators to a unit's evidence are signed with this secret
-- (kept in the database, so a backup and restore keeps them valid); rotating it
-- revokes them all. They stay valid until links_until of their year (default: the
-- end of that year).
CREATE TABLE portalrb_secret (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     TEXT    NOT NULL,
    rotated_at TEXT    NOT NULL
);
ALTER TABLE portalrb_windows ADD COLUMN links_until TEXT;
