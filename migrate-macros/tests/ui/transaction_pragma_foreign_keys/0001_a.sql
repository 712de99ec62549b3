PRAGMA foreign_keys = OFF;
CREATE TABLE a (x);
