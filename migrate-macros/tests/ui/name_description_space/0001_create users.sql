CREATE TABLE users (x);
