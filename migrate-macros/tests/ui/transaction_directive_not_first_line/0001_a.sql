-- compact the database
-- migrate:no-transaction
VACUUM;
