CREATE TABLE log (message TEXT);
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
    INSERT INTO log VALUES (new.name);
END;
