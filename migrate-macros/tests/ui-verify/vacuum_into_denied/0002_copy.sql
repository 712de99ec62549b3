-- migrate:no-transaction
VACUUM INTO '/tmp/migrate-verify-escape.db';
