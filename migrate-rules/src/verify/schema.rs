//! The structural schema: what each table, index, view and trigger *is*, read from SQLite's
//! pragmas, so that two schemas compare equal whatever whitespace their `CREATE` statements
//! were written with.
//!
//! Invariants:
//! - Tables compare by their columns (name, declared type, not null, default, primary key,
//!   hidden/generated), foreign keys, `UNIQUE`/primary-key constraints and `CHECK` clauses;
//!   indexes by table, columns, uniqueness and partial `WHERE`; views and triggers by their
//!   token-normalised SQL. Objects named `sqlite_%` are SQLite's own and never part of it.
//! - [`Cache`] is the schema after the last verified step. It is updated by *region*: the
//!   objects a script touched (tables with their indexes and triggers, and named objects), so
//!   that the cost per migration does not grow with the size of the schema.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, params_from_iter};

use super::sandbox::Touched;
use crate::split::tokens;

/// Kinds of schema objects, in snapshot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Table,
    Index,
    View,
    Trigger,
}

impl Kind {
    fn parse(kind: &str) -> Option<Kind> {
        match kind {
            "table" => Some(Kind::Table),
            "index" => Some(Kind::Index),
            "view" => Some(Kind::View),
            "trigger" => Some(Kind::Trigger),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Index => "index",
            Kind::View => "view",
            Kind::Trigger => "trigger",
        }
    }
}

/// One object of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub kind: Kind,
    /// The name as stored.
    pub name: String,
    /// The table it belongs to, lower case (itself for a table).
    pub table: String,
    /// The `CREATE` statement as stored, to notice objects a rename rewrote.
    pub sql: String,
    pub shape: Shape,
}

/// What an object is, for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Table(TableShape),
    Index(IndexShape),
    /// Views and triggers: their token-normalised SQL.
    Sql(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableShape {
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<String>,
    /// `UNIQUE` and primary-key constraints backed by an automatic index: their columns.
    pub uniques: BTreeSet<Vec<String>>,
    /// The `CHECK (...)` clauses, token-normalised.
    pub checks: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub declared_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub primary_key: i64,
    pub hidden: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexShape {
    pub table: String,
    pub unique: bool,
    /// Each key column: its name (or the expression, from the SQL), order and collation.
    pub columns: Vec<String>,
    /// The partial index's `WHERE`, token-normalised.
    pub partial: Option<String>,
}

/// The objects of a region, by lower-case name.
pub(crate) type Objects = BTreeMap<String, Object>;

/// Which objects a script may have changed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Region {
    /// Everything: after a rename, which rewrites other objects' SQL.
    pub all: bool,
    /// Tables, with every object that belongs to them.
    pub tables: BTreeSet<String>,
    /// Indexes, views and triggers by name.
    pub names: BTreeSet<String>,
}

impl Region {
    pub(crate) fn of(touched: &Touched) -> Region {
        Region {
            all: false,
            tables: touched.tables.keys().cloned().collect(),
            names: touched.names.keys().cloned().collect(),
        }
    }

    pub(crate) fn union(&self, other: &Region) -> Region {
        Region {
            all: self.all || other.all,
            tables: self.tables.union(&other.tables).cloned().collect(),
            names: self.names.union(&other.names).cloned().collect(),
        }
    }

    pub(crate) fn contains(&self, key: &str, object: &Object) -> bool {
        self.all || self.names.contains(key) || self.tables.contains(&object.table)
    }

    fn is_empty(&self) -> bool {
        !self.all && self.tables.is_empty() && self.names.is_empty()
    }
}

/// The schema after the last verified step.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    objects: Objects,
    /// Lower-case table name → the keys of the objects that belong to it.
    by_table: BTreeMap<String, BTreeSet<String>>,
}

impl Cache {
    /// The cached objects of `region`.
    pub(crate) fn region(&self, region: &Region) -> Objects {
        if region.all {
            return self.objects.clone();
        }
        let mut found = Objects::new();
        let keys = region
            .tables
            .iter()
            .filter_map(|table| self.by_table.get(table))
            .flatten()
            .chain(&region.names);
        for key in keys {
            if let Some(object) = self.objects.get(key) {
                found.insert(key.clone(), object.clone());
            }
        }
        found
    }

    /// Replaces the objects of `region` with `current`; returns the ones it held before.
    pub(crate) fn replace(&mut self, region: &Region, current: Objects) -> Objects {
        let before = self.region(region);
        for (key, object) in &before {
            self.objects.remove(key);
            if let Some(keys) = self.by_table.get_mut(&object.table) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_table.remove(&object.table);
                }
            }
        }
        for (key, object) in current {
            self.by_table
                .entry(object.table.clone())
                .or_default()
                .insert(key.clone());
            self.objects.insert(key, object);
        }
        before
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Object> {
        self.objects.get(key)
    }

    /// The objects whose stored SQL is not what the cache holds, found with one read of the
    /// whole schema table: what an `ALTER TABLE ... RENAME` rewrote besides its own table
    /// (the new name, indexes, triggers, views and other tables' foreign keys).
    pub(crate) fn rewritten(&self, conn: &Connection) -> rusqlite::Result<Region> {
        let mut statement = conn.prepare(
            "SELECT name, tbl_name, sql FROM sqlite_schema \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut region = Region::default();
        let mut seen = BTreeSet::new();
        for row in rows {
            let (name, table, sql) = row?;
            let key = name.to_ascii_lowercase();
            let same = self
                .objects
                .get(&key)
                .is_some_and(|o| Some(&o.sql) == sql.as_ref());
            if !same {
                region.names.insert(key.clone());
                region.tables.insert(table.to_ascii_lowercase());
            }
            seen.insert(key);
        }
        for (key, object) in &self.objects {
            if !seen.contains(key) {
                region.names.insert(key.clone());
                region.tables.insert(object.table.clone());
            }
        }
        Ok(region)
    }
}

/// Reads the objects of `region` from the database.
pub(crate) fn read_region(conn: &Connection, region: &Region) -> rusqlite::Result<Objects> {
    let mut objects = Objects::new();
    if region.is_empty() {
        return Ok(objects);
    }
    let rows: Vec<(String, String, String, Option<String>)> = if region.all {
        let mut statement = conn.prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    } else {
        // One scan of the schema table per script, like SQLite's own schema reload after DDL.
        let tables = placeholders(1, region.tables.len());
        let names = placeholders(1 + region.tables.len(), region.names.len());
        let sql = format!(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema \
             WHERE (lower(tbl_name) IN ({tables}) OR lower(name) IN ({names})) \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        );
        let mut statement = conn.prepare(&sql)?;
        let params = region.tables.iter().chain(&region.names);
        let rows = statement.query_map(params_from_iter(params), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (kind, name, table, sql) in rows {
        let (Some(kind), Some(sql)) = (Kind::parse(&kind), sql) else {
            continue;
        };
        let shape = match kind {
            Kind::Table => Shape::Table(read_table(conn, &name, &sql)?),
            Kind::Index => Shape::Index(read_index(conn, &name, &table, &sql)?),
            Kind::View | Kind::Trigger => Shape::Sql(compact(&sql)),
        };
        objects.insert(
            name.to_ascii_lowercase(),
            Object {
                kind,
                name,
                table: table.to_ascii_lowercase(),
                sql,
                shape,
            },
        );
    }
    Ok(objects)
}

/// `?n, ?n+1, ...`, or `NULL` for an empty list (`IN ()` is valid SQLite, but explicit is
/// clearer).
fn placeholders(first: usize, count: usize) -> String {
    if count == 0 {
        return "NULL".to_owned();
    }
    (first..first + count)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_table(conn: &Connection, name: &str, sql: &str) -> rusqlite::Result<TableShape> {
    let mut statement = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)",
    )?;
    let columns = statement
        .query_map([name], |r| {
            Ok(Column {
                name: r.get(0)?,
                declared_type: r.get(1)?,
                not_null: r.get(2)?,
                default: r.get(3)?,
                primary_key: r.get(4)?,
                hidden: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut statement = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let mut keys: BTreeMap<i64, (String, Vec<String>, Vec<String>, String)> = BTreeMap::new();
    let rows = statement.query_map([name], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            format!(
                "ON UPDATE {} ON DELETE {} MATCH {}",
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?
            ),
        ))
    })?;
    for row in rows {
        let (id, parent, from, to, actions) = row?;
        let key = keys
            .entry(id)
            .or_insert_with(|| (parent.to_ascii_lowercase(), Vec::new(), Vec::new(), actions));
        key.1.push(from);
        key.2.push(to.unwrap_or_default());
    }
    let mut foreign_keys: Vec<String> = keys
        .into_values()
        .map(|(parent, from, to, actions)| {
            format!(
                "({}) REFERENCES {parent}({}) {actions}",
                from.join(", "),
                to.join(", ")
            )
        })
        .collect();
    foreign_keys.sort();

    let mut statement = conn.prepare(
        "SELECT l.name, i.name FROM pragma_index_list(?1) AS l, pragma_index_info(l.name) AS i \
         WHERE l.origin != 'c' ORDER BY l.name, i.seqno",
    )?;
    let mut uniques: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let rows = statement.query_map([name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    for row in rows {
        let (index, column) = row?;
        uniques
            .entry(index)
            .or_default()
            .push(column.unwrap_or_default().to_ascii_lowercase());
    }

    Ok(TableShape {
        columns,
        foreign_keys,
        uniques: uniques.into_values().collect(),
        checks: checks(sql),
    })
}

fn read_index(
    conn: &Connection,
    name: &str,
    table: &str,
    sql: &str,
) -> rusqlite::Result<IndexShape> {
    let mut statement = conn.prepare(
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key ORDER BY seqno",
    )?;
    let rows = statement.query_map([name], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut columns = Vec::new();
    let mut has_expression = false;
    for row in rows {
        let (cid, column, desc, collation) = row?;
        let column = match column {
            Some(column) => column.to_ascii_lowercase(),
            None => {
                has_expression = cid == -2;
                "<expression>".to_owned()
            }
        };
        let order = if desc { " DESC" } else { "" };
        columns.push(format!(
            "{column} COLLATE {}{order}",
            collation.unwrap_or_default()
        ));
    }
    if has_expression {
        // SQLite does not give the expression: the statement's column list holds it.
        columns.push(compact(index_columns(sql)));
    }
    let (unique, partial): (bool, bool) = conn
        .prepare("SELECT \"unique\", partial FROM pragma_index_list(?1) WHERE name = ?2")?
        .query_row([table, name], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(IndexShape {
        table: table.to_ascii_lowercase(),
        unique,
        columns,
        partial: partial.then(|| compact(after_top_level_where(sql))),
    })
}

/// The SQL with whitespace and comments collapsed to one space and trimmed: how the snapshot
/// writes each object. Quoted strings and identifiers are kept as written.
pub(crate) fn normalise(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut space = false;
    for (trivia, text) in tokens(sql) {
        if trivia {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push_str(text);
    }
    out
}

/// The SQL without whitespace or comments, a space kept only between two words: `(a,b)`,
/// `( a, b )` and `(a , b)` all become `(a,b)`. For comparing, and for short messages.
pub(crate) fn compact(sql: &str) -> String {
    let wordy =
        |c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | '\'' | '"' | '`' | '[' | ']');
    let mut out = String::with_capacity(sql.len());
    for (_, text) in tokens(sql).filter(|(trivia, _)| !trivia) {
        let joins_words = out.ends_with(wordy) && text.starts_with(wordy);
        if joins_words {
            out.push(' ');
        }
        out.push_str(text);
    }
    out
}

/// Everything after the first `WHERE` outside parentheses.
fn after_top_level_where(sql: &str) -> &str {
    let mut depth = 0usize;
    let mut offset = 0;
    for (trivia, text) in tokens(sql) {
        offset += text.len();
        if trivia {
            continue;
        }
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0 && text.eq_ignore_ascii_case("WHERE") => return &sql[offset..],
            _ => {}
        }
    }
    ""
}

/// The first parenthesised list of an index statement: its columns.
fn index_columns(sql: &str) -> &str {
    let mut depth = 0usize;
    let mut offset = 0;
    let mut start = None;
    for (_, text) in tokens(sql) {
        let here = offset;
        offset += text.len();
        match text {
            "(" => {
                if depth == 0 {
                    start = Some(here);
                }
                depth += 1;
            }
            ")" => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(start) = start
                {
                    return &sql[start..offset];
                }
            }
            _ => {}
        }
    }
    ""
}

/// The `CHECK (...)` clauses of a table statement, compacted.
fn checks(sql: &str) -> BTreeSet<String> {
    let words: Vec<&str> = tokens(sql)
        .filter(|(trivia, _)| !trivia)
        .map(|(_, text)| text)
        .collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < words.len() {
        if words[i].eq_ignore_ascii_case("CHECK") && words.get(i + 1) == Some(&"(") {
            let mut depth = 0usize;
            let mut end = i + 1;
            while end < words.len() {
                match words[end] {
                    "(" => depth += 1,
                    ")" => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                end += 1;
            }
            let end = end.min(words.len() - 1);
            found.insert(compact(&words[i..=end].join(" ")));
            i = end;
        }
        i += 1;
    }
    found
}

/// The differences between the schema expected and the one found, one line each, e.g.
/// ``index `tags_name` remains``.
pub(crate) fn differences(expected: &Objects, actual: &Objects) -> Vec<String> {
    let mut lines = Vec::new();
    let keys: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for key in keys {
        match (expected.get(key), actual.get(key)) {
            (Some(e), None) => lines.push(format!("{} `{}` is missing", e.kind.name(), e.name)),
            (None, Some(a)) => lines.push(format!("{} `{}` remains", a.kind.name(), a.name)),
            (Some(e), Some(a)) if e.kind != a.kind => lines.push(format!(
                "`{}` is a {} where a {} was expected",
                a.name,
                a.kind.name(),
                e.kind.name()
            )),
            (Some(e), Some(a)) => object_differences(e, a, &mut lines),
            (None, None) => {}
        }
    }
    lines
}

fn object_differences(expected: &Object, actual: &Object, lines: &mut Vec<String>) {
    let name = &actual.name;
    let kind = actual.kind.name();
    match (&expected.shape, &actual.shape) {
        (Shape::Table(e), Shape::Table(a)) => table_differences(name, e, a, lines),
        (e, a) if e != a => lines.push(format!("{kind} `{name}` differs")),
        _ => {}
    }
}

fn table_differences(table: &str, e: &TableShape, a: &TableShape, lines: &mut Vec<String>) {
    let find = |columns: &[Column], name: &str| {
        columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    for column in &a.columns {
        match find(&e.columns, &column.name) {
            None => lines.push(format!("column `{table}.{}` remains", column.name)),
            Some(expected) if expected != *column => {
                lines.push(format!("column `{table}.{}` differs", column.name));
            }
            Some(_) => {}
        }
    }
    for column in &e.columns {
        if find(&a.columns, &column.name).is_none() {
            lines.push(format!("column `{table}.{}` is missing", column.name));
        }
    }
    let names = |columns: &[Column]| -> Vec<String> {
        columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect()
    };
    if names(&e.columns) != names(&a.columns)
        && e.columns.len() == a.columns.len()
        && e.columns
            .iter()
            .all(|c| find(&a.columns, &c.name).is_some())
    {
        lines.push(format!("columns of table `{table}` are in another order"));
    }
    if e.foreign_keys != a.foreign_keys {
        lines.push(format!("foreign keys of table `{table}` differ"));
    }
    if e.uniques != a.uniques {
        lines.push(format!(
            "UNIQUE or PRIMARY KEY constraints of table `{table}` differ"
        ));
    }
    if e.checks != a.checks {
        lines.push(format!("CHECK constraints of table `{table}` differ"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_keeps_strings_and_collapses_whitespace() {
        assert_eq!(
            normalise("CREATE  TABLE t (\n  x TEXT DEFAULT '  a', -- note\n y INT )"),
            "CREATE TABLE t ( x TEXT DEFAULT '  a', y INT )"
        );
        assert_eq!(compact("f(a,b)"), compact("f( a , b )"));
        assert_eq!(compact("x  BETWEEN 1 AND\n5"), "x BETWEEN 1 AND 5");
    }

    #[test]
    fn checks_and_where_are_found_outside_parentheses() {
        let sql = "CREATE TABLE t (x INT CHECK (x > (0)), y INT, CONSTRAINT c CHECK(y<>x))";
        let found = checks(sql);
        assert!(found.contains("CHECK(x>(0))"), "{found:?}");
        assert!(found.contains("CHECK(y<>x)"), "{found:?}");
        assert_eq!(
            after_top_level_where("CREATE INDEX i ON t (x) WHERE x > 0").trim(),
            "x > 0"
        );
        assert_eq!(
            index_columns("CREATE INDEX i ON t (lower(x), y)"),
            "(lower(x), y)"
        );
    }
}
