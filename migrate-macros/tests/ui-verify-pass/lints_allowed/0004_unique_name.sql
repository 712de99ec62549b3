-- Names are unique from now on.
-- migrate:allow data-dependent
CREATE UNIQUE INDEX users_full_name ON users (full_name);
