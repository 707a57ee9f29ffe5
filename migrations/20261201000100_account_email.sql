-- An optional e-mail address per account, given by an admin (bulk account import,
-- the command line): trusted as given.
ALTER TABLE users ADD COLUMN email TEXT;
