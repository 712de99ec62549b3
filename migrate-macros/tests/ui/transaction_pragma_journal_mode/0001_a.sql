-- switch to WAL
PRAGMA journal_mode = WAL;
