-- migrate:allow backward-incompatible
ALTER TABLE users RENAME COLUMN name TO full_name;
