-- Lookups by name.
CREATE TABLE audit (at TEXT);

CREATE INDEX users_name ON userz(name);
