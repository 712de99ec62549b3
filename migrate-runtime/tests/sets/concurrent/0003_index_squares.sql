CREATE INDEX numbers_square ON numbers (square);
INSERT INTO runs (version, note) VALUES (3, 'index squares');
