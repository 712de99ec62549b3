-- migrate:allow destructve
DROP TABLE users;
