CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
INSERT INTO products (title) VALUES ('tea'), ('coffee');
CREATE INDEX products_title ON products (title);
