-- Customers review books, once per book.
CREATE TABLE reviews (
    book_id     INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        TEXT,
    PRIMARY KEY (book_id, customer_id)
) WITHOUT ROWID;
