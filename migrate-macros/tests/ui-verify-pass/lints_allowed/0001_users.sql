CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    nickname TEXT
);
CREATE TABLE sessions (id INTEGER PRIMARY KEY);
