INSERT INTO orders (id, user_id) VALUES (1, 42);
