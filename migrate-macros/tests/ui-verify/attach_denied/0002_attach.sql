-- migrate:no-transaction
ATTACH DATABASE '/tmp/migrate-verify-escape.db' AS outside;
