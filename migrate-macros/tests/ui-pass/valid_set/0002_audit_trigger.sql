CREATE TABLE audit (user_id INTEGER, kind TEXT);
CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN
    INSERT INTO audit VALUES (new.id, CASE WHEN new.name = '' THEN 'anonymous' ELSE 'named' END);
END;
