CREATE TABLE tags (name TEXT);
CREATE INDEX tags_name ON tags (name);
