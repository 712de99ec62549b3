-- Orders placed by users.
CREATE TABLE orders (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id)
);
-- Every user starts with one empty order (the table name is wrong on purpose).
INSERT INTO orders (user_id) SELECT id FROM user;
CREATE INDEX orders_user ON orders (user_id);
