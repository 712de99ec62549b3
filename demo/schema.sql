-- 0001_create_authors_and_books.sql sha256:55df754a774d77977eb0a5537b886d242c6a918114d7c555bfa694ffbaa47792
-- 0002_create_customers_and_orders.sql sha256:918e11c576af8cb2cc5fbfd65735a4bf31236b982b41b0e734bdc77d3eeea8da
-- 0003_index_orders_by_customer.sql sha256:08a76bf6dd6b4c0d592f7c4b5fc90215be0ac81ea284068ae01128003e611c4d
-- 0004_books_price_in_cents.sql sha256:044535246ae5176637d3d60947839dc9777462e9a6e2d81a4da785303a85706d
-- 0005_add_order_totals.sql sha256:02041f3b5512dc751a3d6ed8f923c26dcf88a424e0dd96093b666e16c6c239d8
-- 0006_create_reviews.sql sha256:f5cdf8115d04b0c78b5845d93290ed3c4f25214f26579fb969ac5707c1be1535
-- 0007_enable_wal.sql sha256:cc4c73d7cfa7cd3c1653282370d14ab9e50e727ebcd40ed1a9b0f40d6850118d

CREATE TABLE authors ( id INTEGER PRIMARY KEY, name TEXT NOT NULL );
CREATE TABLE "books" ( id INTEGER PRIMARY KEY, title TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES authors (id), price_cents INTEGER NOT NULL CHECK (price_cents >= 0) );
CREATE TABLE customers ( id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL );
CREATE TABLE orders ( id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), book_id INTEGER NOT NULL REFERENCES books (id), quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0), ordered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) , total_cents INTEGER);
CREATE TABLE reviews ( book_id INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE, customer_id INTEGER NOT NULL REFERENCES customers (id), rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5), body TEXT, PRIMARY KEY (book_id, customer_id) ) WITHOUT ROWID;
CREATE INDEX books_by_author ON books (author_id);
CREATE INDEX orders_by_customer ON orders (customer_id, ordered_at);
