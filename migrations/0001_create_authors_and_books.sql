-- The catalogue: authors and their books, with a few to start with.
CREATE TABLE authors (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE books (
    id        INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    author_id INTEGER REFERENCES authors (id),
    price     REAL NOT NULL
);

INSERT INTO authors (id, name) VALUES
    (1, 'Ursula K. Le Guin'),
    (2, 'Italo Calvino');

INSERT INTO books (id, title, author_id, price) VALUES
    (1, 'A Wizard of Earthsea', 1, 9.99),
    (2, 'The Dispossessed', 1, 12.50),
    (3, 'Invisible Cities', 2, 11.00);
