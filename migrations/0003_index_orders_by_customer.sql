-- "My orders" pages list a customer's orders, newest first.
CREATE INDEX orders_by_customer ON orders (customer_id, ordered_at);
