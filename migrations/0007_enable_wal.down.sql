-- migrate:no-transaction
PRAGMA journal_mode = DELETE;
