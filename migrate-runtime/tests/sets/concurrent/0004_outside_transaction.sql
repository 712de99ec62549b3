-- migrate:no-transaction
INSERT INTO runs (version, note) VALUES (4, 'first statement');
CREATE TABLE totals (total INTEGER NOT NULL);
INSERT INTO totals (total) SELECT count(*) FROM numbers;
INSERT INTO runs (version, note) VALUES (4, 'last statement');
