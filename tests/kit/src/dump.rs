//! What a database holds, as lines of text that tests compare.

use std::path::Path;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};

/// Every row of a query, each as one line: the cells' `Debug` forms joined by `|`.
pub fn rows_of(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn.prepare(sql).expect(sql);
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| Ok(format!("{:?}", row.get::<_, Value>(i)?)))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|cells| cells.join("|"))
        })
        .expect(sql)
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect(sql)
}

/// The user schema and every user table's rows (ordered by the first column): the tracking
/// tables (`schema_migrations*`) and `user_version` are left out.
pub fn user_dump(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    let mut tables = Vec::new();
    let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema
                  WHERE name NOT LIKE 'schema_migrations%' ORDER BY name";
    for (kind, name, table, sql) in schema_rows(conn, schema) {
        if kind == "table" {
            tables.push(name.clone());
        }
        out.push(format!("{kind} {name} {table} {sql:?}"));
    }
    for table in tables {
        out.extend(rows_of(
            conn,
            &format!("SELECT * FROM \"{table}\" ORDER BY 1"),
        ));
    }
    out
}

/// `(type, name, tbl_name, sql)` of the `sqlite_schema` rows a query selects.
fn schema_rows(conn: &Connection, sql: &str) -> Vec<(String, String, String, Option<String>)> {
    let mut statement = conn.prepare(sql).expect("sqlite_schema");
    statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("schema rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("schema rows")
}

/// Everything the database holds, as text: `user_version`, every `sqlite_schema` row and every
/// row of every table, tracking tables included (sorted, so that the order of a scan does not
/// matter). Failure events of `schema_migrations_history` are left out when `without_failures`
/// is set.
pub fn dump_with(conn: &Connection, without_failures: bool) -> Vec<String> {
    let mut out = vec![format!("user_version = {}", user_version(conn))];
    let rows = schema_rows(
        conn,
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name",
    );
    for (kind, name, table, sql) in &rows {
        out.push(format!("schema {kind} {name} on {table}: {sql:?}"));
    }
    for (kind, name, _, _) in &rows {
        if kind != "table" {
            continue;
        }
        let filter = if without_failures && name == "schema_migrations_history" {
            " WHERE event <> 'failed'"
        } else {
            ""
        };
        let sql = format!("SELECT * FROM \"{}\"{filter}", name.replace('"', "\"\""));
        let mut statement = conn.prepare(&sql).expect("select table");
        let columns = statement.column_count();
        let mut table_rows = Vec::new();
        let mut query = statement.query([]).expect("query table");
        while let Some(row) = query.next().expect("row") {
            let values: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).expect("value") {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(i) => i.to_string(),
                    ValueRef::Real(r) => r.to_string(),
                    ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => format!("x'{}'", hex(b)),
                })
                .collect();
            table_rows.push(format!("row {name}: {}", values.join(", ")));
        }
        table_rows.sort();
        out.extend(table_rows);
    }
    out
}

/// [`dump_with`] of everything.
pub fn dump(conn: &Connection) -> Vec<String> {
    dump_with(conn, false)
}

/// [`dump_with`] through a new read-only connection to the file.
pub fn dump_file(path: &Path, without_failures: bool) -> Vec<String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open read-only");
    dump_with(&conn, without_failures)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The applied versions recorded in `schema_migrations`, in order.
pub fn applied_versions(conn: &Connection) -> Vec<i64> {
    let mut statement = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .expect("schema_migrations");
    statement
        .query_map([], |row| row.get(0))
        .expect("versions")
        .collect::<Result<Vec<_>, _>>()
        .expect("versions")
}

/// `PRAGMA user_version`.
pub fn user_version(conn: &Connection) -> i64 {
    count(conn, "PRAGMA user_version")
}

/// The one integer a query returns (`SELECT count(*) ...`).
pub fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).expect(sql)
}
