CREATE TABLE tags (name TEXT);
CREATE INDEX users_name ON users (name);
