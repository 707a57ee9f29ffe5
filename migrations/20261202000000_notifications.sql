-- Notifications: what each person should hear about, in the app and by e-mail.

-- An address set by an admin or on the command line is trusted; one a person sets
-- themselves waits in `pending_email` until its link is opened. Addresses already
-- stored came from admins (account import), so they count as verified.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1));
ALTER TABLE users ADD COLUMN pending_email TEXT;
-- segera (each notification its own mail), harian (one digest a day), tidak (none)
ALTER TABLE users ADD COLUMN notify_mode TEXT NOT NULL DEFAULT 'segera'
    CHECK (notify_mode IN ('segera', 'harian', 'tidak'));
-- the digest's hour, Asia/Jakarta
ALTER TABLE users ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 7 CHECK (digest_hour BETWEEN 0 AND 23);
UPDATE users SET email_verified = 1 WHERE email IS NOT NULL AND email <> '';

-- One line in a person's list. `dedupe` names a scheduled reminder (deadline, window)
-- so a restart or a second tick cannot send it twice. `mail` says what e-mail it gets:
-- none, queued (sent on its own through the outbox), digest (waits for the person's
-- daily digest), digested (went out in one).
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    unit_id    INTEGER REFERENCES work_units(id),
    kind       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    link       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,   -- unix seconds
    read_at    INTEGER,
    dedupe     TEXT,
    mail       TEXT    NOT NULL DEFAULT 'none' CHECK (mail IN ('none', 'queued', 'digest', 'digested'))
);
CREATE INDEX notifications_by_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_digest ON notifications(user_id) WHERE mail = 'digest';
CREATE UNIQUE INDEX notifications_dedupe ON notifications(user_id, dedupe) WHERE dedupe IS NOT NULL;

-- Mail to send, written in the transaction of the change that caused it. The
-- Message-ID is fixed when the row is written: a crash between sending and marking
-- sends the same message (same id) once more, never a different one.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    user_id         INTEGER REFERENCES users(id),
    to_addr         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,   -- pemberitahuan, ringkasan, reset, verifikasi
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    failed_at       INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Scheduled reminders already written (e.g. `tenggat:UNIT:YEAR:SEMESTER:DATE:7`):
-- a later tick skips them without looking for their recipients again.
CREATE TABLE reminders_done (
    key TEXT    PRIMARY KEY,
    at  INTEGER NOT NULL
);

-- At most one digest per person per day (Asia/Jakarta date).
CREATE TABLE digests_sent (
    user_id INTEGER NOT NULL REFERENCES users(id),
    day     TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- Single-use links: password resets (30 minutes) and e-mail verification. Only the
-- SHA-256 of the token is kept.
CREATE TABLE account_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('reset', 'verifikasi')),
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX account_tokens_by_user ON account_tokens(user_id, purpose);

-- "Lupa kata sandi" requests, for throttling by what was typed and by address (the
-- answer never says whether the account exists).
CREATE TABLE reset_requests (
    id  INTEGER PRIMARY KEY,
    ip  TEXT    NOT NULL,
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX reset_requests_by_ip ON reset_requests(ip, at);
CREATE INDEX reset_requests_by_key ON reset_requests(key, at);
