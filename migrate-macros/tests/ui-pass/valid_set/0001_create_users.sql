-- The first table.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT 'a;b'
);

CREATE INDEX users_name ON users (name);
