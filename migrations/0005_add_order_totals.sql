-- Orders remember what they cost; existing orders are backfilled from today's prices.
ALTER TABLE orders ADD COLUMN total_cents INTEGER;

UPDATE orders
SET total_cents = quantity * (SELECT price_cents FROM books WHERE books.id = orders.book_id);
