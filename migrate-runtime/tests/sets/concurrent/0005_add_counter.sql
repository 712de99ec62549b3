CREATE TABLE counter (value INTEGER NOT NULL);
INSERT INTO counter (value) VALUES (1);
INSERT INTO runs (version, note) VALUES (5, 'add counter');
