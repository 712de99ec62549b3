CREATE TABLE "users_old"(id   INTEGER  PRIMARY KEY, name TEXT   NOT NULL);
INSERT INTO users_old SELECT id, name FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
CREATE INDEX users_name ON "users"(name);
