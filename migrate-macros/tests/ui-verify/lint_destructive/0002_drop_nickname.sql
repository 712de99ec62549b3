-- Nobody uses nicknames.

ALTER TABLE users DROP COLUMN nickname;
