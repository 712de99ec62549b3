-- One row per migration that ran: a migration applied twice would show up here twice.
CREATE TABLE runs (version INTEGER NOT NULL, note TEXT NOT NULL);
INSERT INTO runs (version, note) VALUES (1, 'create runs');
