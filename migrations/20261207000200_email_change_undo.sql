-- When an address set by its owner was verified: a reset link goes to it only a day
-- later, so the old address has time to undo a change made from a borrowed session.
-- NULL: set by an admin, or verified before this was recorded.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

-- Links mailed to the old address when the account's address changes: for 7 days
-- they put the old address back and end every session. Only the SHA-256 is kept.
CREATE TABLE email_undo_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    old_email  TEXT    NOT NULL,
    -- the address the change set ('' when it removed the address)
    new_email  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_undo_tokens_by_user ON email_undo_tokens(user_id);
