//! The set the power-loss sweep applies: a table rebuild with foreign keys and rows, a data
//! backfill, and a no-transaction migration (with a `VACUUM`, which rewrites the whole file),
//! each with a transactional down file for the rollback scenario.

use migrate_runtime::Migrations;

/// The version a baseline records (the hand-made database has migrations 1 to 3).
pub const BASELINE: i64 = 3;

/// The version the rollback scenario rolls back to.
pub const ROLLBACK_TO: i64 = 1;

/// `(file name, contents)`, up and down files.
pub fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "0001_library.sql",
            "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
             CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id), title TEXT NOT NULL);\n\
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)\n\
             INSERT INTO authors (id, name) SELECT i, printf('author number %d', i) FROM n;\n\
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800)\n\
             INSERT INTO books (id, author_id, title) SELECT i, 1 + i % 60, printf('Book %d, a story in %d chapters', i, 1 + i % 17) FROM n;\n",
        ),
        (
            "0001_library.down.sql",
            "DROP TABLE books;\nDROP TABLE authors;\n",
        ),
        (
            "0002_backfill_slug.sql",
            "ALTER TABLE books ADD COLUMN slug TEXT;\n\
             UPDATE books SET slug = lower(replace(replace(title, ',', ''), ' ', '-')) || '-' || id;\n",
        ),
        (
            "0002_backfill_slug.down.sql",
            "ALTER TABLE books DROP COLUMN slug;\n",
        ),
        (
            "0003_rebuild_books.sql",
            "-- SQLite's table rebuild: create, copy, drop, rename, with foreign keys on both sides\n\
             CREATE TABLE books_new (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE, title TEXT NOT NULL, slug TEXT NOT NULL UNIQUE CHECK (length(slug) > 0));\n\
             INSERT INTO books_new (id, author_id, title, slug) SELECT id, author_id, title, slug FROM books;\n\
             DROP TABLE books;\n\
             ALTER TABLE books_new RENAME TO books;\n\
             CREATE INDEX books_author ON books (author_id);\n",
        ),
        (
            "0003_rebuild_books.down.sql",
            "CREATE TABLE books_old (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id), title TEXT NOT NULL, slug TEXT);\n\
             INSERT INTO books_old (id, author_id, title, slug) SELECT id, author_id, title, slug FROM books;\n\
             DROP TABLE books;\n\
             ALTER TABLE books_old RENAME TO books;\n",
        ),
        (
            "0004_outside.sql",
            "-- migrate:no-transaction\n\
             CREATE INDEX books_title ON books (title);\n\
             UPDATE authors SET name = upper(substr(name, 1, 1)) || substr(name, 2);\n\
             CREATE TABLE shelf (author_id INTEGER PRIMARY KEY REFERENCES authors (id), books INTEGER NOT NULL);\n\
             INSERT INTO shelf (author_id, books) SELECT author_id, count(*) FROM books GROUP BY author_id;\n\
             VACUUM;\n\
             INSERT INTO authors (id, name) VALUES (1000, 'Anonymous');\n",
        ),
        (
            "0004_outside.down.sql",
            "DELETE FROM authors WHERE id = 1000;\nDROP TABLE shelf;\nDROP INDEX books_title;\n",
        ),
        (
            "0005_view.sql",
            "CREATE VIEW author_books AS SELECT a.name, count(b.id) AS n FROM authors a LEFT JOIN books b ON b.author_id = a.id GROUP BY a.id;\n\
             INSERT INTO shelf (author_id, books) VALUES (1000, 0);\n",
        ),
        (
            "0005_view.down.sql",
            "DELETE FROM shelf WHERE author_id = 1000;\nDROP VIEW author_books;\n",
        ),
    ]
}

/// The set, validated by the library's rules.
pub fn migrations() -> Result<Migrations, String> {
    Migrations::from_files(files()).map_err(|e| e.to_string())
}
