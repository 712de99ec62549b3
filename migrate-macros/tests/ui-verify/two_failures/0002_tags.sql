CREATE TABLE tags (name TEXT, name TEXT);
