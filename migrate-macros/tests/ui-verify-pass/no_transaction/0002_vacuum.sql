-- migrate:no-transaction
DELETE FROM users;
VACUUM;
CREATE INDEX users_name ON users (name);
