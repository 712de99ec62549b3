INSERT INTO notes (body) VALUES ('café ☕');
