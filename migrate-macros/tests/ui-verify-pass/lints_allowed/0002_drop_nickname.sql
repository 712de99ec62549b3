-- migrate:allow destructive
ALTER TABLE users DROP COLUMN nickname;
DROP TABLE sessions;
