-- migrate:no-transaction
-- Readers no longer wait for the writer. `PRAGMA journal_mode` cannot run inside a
-- transaction, hence the directive on the first line.
PRAGMA journal_mode = WAL;
