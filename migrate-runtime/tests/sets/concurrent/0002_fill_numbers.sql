-- Enough work that the other processes are still starting while this one runs.
CREATE TABLE numbers (n INTEGER PRIMARY KEY, square INTEGER NOT NULL);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 50000)
INSERT INTO numbers (n, square) SELECT n, n * n FROM c;
INSERT INTO runs (version, note) VALUES (2, 'fill numbers');
