-- Customers and what they ordered.
CREATE TABLE customers (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    book_id     INTEGER NOT NULL REFERENCES books (id),
    quantity    INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0),
    ordered_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

INSERT INTO customers (id, email, name) VALUES
    (1, 'ada@example.com', 'Ada'),
    (2, 'grace@example.com', 'Grace');

INSERT INTO orders (customer_id, book_id, quantity, ordered_at) VALUES
    (1, 1, 1, '2026-01-05T10:00:00.000Z'),
    (1, 3, 2, '2026-01-09T16:30:00.000Z'),
    (2, 2, 1, '2026-02-01T09:15:00.000Z');
