-- Prices become integer cents and every book needs an author. SQLite cannot change a
-- column's type or constraints in place, so the table is rebuilt: create the new table,
-- copy, drop the old one, rename. `orders` references `books`; the migrator turns foreign
-- keys off for the rebuild and runs `PRAGMA foreign_key_check` before committing.
CREATE TABLE books_new (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    author_id   INTEGER NOT NULL REFERENCES authors (id),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);

INSERT INTO books_new (id, title, author_id, price_cents)
    SELECT id, title, author_id, CAST(round(price * 100) AS INTEGER) FROM books;

DROP TABLE books;

ALTER TABLE books_new RENAME TO books;

CREATE INDEX books_by_author ON books (author_id);

-- `price` becomes `price_cents` (converted above) and every book already has an author:
-- migrate:allow destructive data-dependent
