CREATE TABLE books_old (
    id        INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    author_id INTEGER REFERENCES authors (id),
    price     REAL NOT NULL
);

INSERT INTO books_old (id, title, author_id, price)
    SELECT id, title, author_id, price_cents / 100.0 FROM books;

DROP TABLE books;

ALTER TABLE books_old RENAME TO books;
