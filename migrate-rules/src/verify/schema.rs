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
//! - A region is read back by rowid, never by scanning `sqlite_schema` (which has no index on
//!   names): the cache knows the rowid of every row of the schema table (SQLite's own rows
//!   included), and a script can only have changed the rows of its region and added rows
//!   above the highest rowid outside it (see [`Cache::read`]).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, Params, Statement, params_from_iter};

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The `CHECK (...)` clauses.
    pub checks: BTreeSet<Check>,
}

/// A `CHECK (...)` clause: compared by its [`canonical`] form, shown compacted.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    key: String,
    pub text: String,
}

impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Check {}

impl PartialOrd for Check {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Check {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
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
    /// A `VACUUM` ran: it renumbers the rows of the schema table, so the region is read
    /// with one scan of the whole table (its objects are still only those of the region).
    pub renumbered: bool,
}

impl Region {
    pub(crate) fn of(touched: &Touched) -> Region {
        Region {
            all: false,
            tables: touched.tables.keys().cloned().collect(),
            names: touched.names.keys().cloned().collect(),
            renumbered: touched.vacuumed,
        }
    }

    /// Every object.
    #[cfg(test)]
    pub(crate) fn everything() -> Region {
        Region {
            all: true,
            ..Region::default()
        }
    }

    pub(crate) fn union(&self, other: &Region) -> Region {
        Region {
            all: self.all || other.all,
            tables: self.tables.union(&other.tables).cloned().collect(),
            names: self.names.union(&other.names).cloned().collect(),
            renumbered: self.renumbered || other.renumbered,
        }
    }

    pub(crate) fn contains(&self, key: &str, object: &Object) -> bool {
        self.all || self.names.contains(key) || self.tables.contains(&object.table)
    }

    /// Whether the row of `sqlite_schema` named `name` of table `table` (both lower case) is
    /// in the region.
    fn has_row(&self, name: &str, table: &str) -> bool {
        self.all || self.names.contains(name) || self.tables.contains(table)
    }
}

/// One row of `sqlite_schema` as the cache keeps it: its lower-case `name` and `tbl_name`.
/// Every row is kept, SQLite's own (`sqlite_autoindex_%`, `sqlite_sequence`,
/// `sqlite_stat1`) included, since any of them can be the highest row outside a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowKey {
    pub name: String,
    pub table: String,
}

/// The rows of `sqlite_schema` by rowid.
pub(crate) type Rows = BTreeMap<i64, RowKey>;

/// Which rows of `sqlite_schema` a read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    /// The whole table.
    Whole,
    /// The rows above `above` and the rows `listed`: every row that can differ from the
    /// cache (see [`Cache::read`]).
    Partial { above: i64, listed: Vec<i64> },
}

/// A region read from the database: its objects, and the rows of the schema table the read
/// covered, which [`Cache::replace`] takes into the cache's rowid map.
#[derive(Debug)]
pub(crate) struct Read {
    /// The objects of the region, by lower-case name.
    pub objects: Objects,
    span: Span,
    /// Every row of the schema table in `span`, whether or not its object is in the region.
    rows: Rows,
}

/// The schema after the last verified step.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    objects: Objects,
    /// Lower-case table name → the keys of the objects that belong to it.
    by_table: BTreeMap<String, BTreeSet<String>>,
    /// Every row of `sqlite_schema` by rowid, as after the last verified step.
    rows: Rows,
    /// Lower-case `tbl_name` → the rowids of its rows in `rows`.
    rows_by_table: BTreeMap<String, BTreeSet<i64>>,
    /// Lower-case `name` → the rowids of its rows in `rows` (a trigger may share its name
    /// with a table, index or view: SQLite keeps triggers in a namespace of their own).
    rows_by_name: BTreeMap<String, BTreeSet<i64>>,
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

    /// Replaces the objects of `region` with those `read` found, and the rows of the schema
    /// table `read` covered with those it saw; returns the objects it held before.
    ///
    /// `read` must come from [`Cache::read`] of the same `region` (or a larger one) on this
    /// cache, with nothing replaced in between: its rows are relative to this state.
    pub(crate) fn replace(&mut self, region: &Region, read: Read) -> Objects {
        let Read {
            objects: current,
            span,
            rows,
        } = read;
        match span {
            Span::Whole => {
                self.rows.clear();
                self.rows_by_table.clear();
                self.rows_by_name.clear();
            }
            // Every cached row above `above` is in the region (that is how `above` is
            // chosen), hence listed: removing the listed rows removes every row the read
            // covered, and the read's rows take their place.
            Span::Partial { listed, .. } => {
                for rowid in listed {
                    self.remove_row(rowid);
                }
            }
        }
        for (rowid, key) in rows {
            self.insert_row(rowid, key);
        }

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

    fn remove_row(&mut self, rowid: i64) {
        let Some(key) = self.rows.remove(&rowid) else {
            return;
        };
        for (index, value) in [
            (&mut self.rows_by_table, &key.table),
            (&mut self.rows_by_name, &key.name),
        ] {
            if let Some(rowids) = index.get_mut(value) {
                rowids.remove(&rowid);
                if rowids.is_empty() {
                    index.remove(value);
                }
            }
        }
    }

    fn insert_row(&mut self, rowid: i64, key: RowKey) {
        self.rows_by_table
            .entry(key.table.clone())
            .or_default()
            .insert(rowid);
        self.rows_by_name
            .entry(key.name.clone())
            .or_default()
            .insert(rowid);
        self.rows.insert(rowid, key);
    }

    /// Every cached object, for the tests' check that the cache follows the database.
    #[cfg(test)]
    pub(crate) fn all(&self) -> &Objects {
        &self.objects
    }

    /// Every cached row of the schema table, for the same check.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> &Rows {
        &self.rows
    }

    /// The rows of the schema table that can differ from the cache after a script that
    /// touched `region`, or [`Span::Whole`] when it has to be read whole (after a `VACUUM`,
    /// for a region of every row, or one too large for the parameter limit).
    ///
    /// `sqlite_schema` is a rowid table: a new row gets the highest rowid plus one, and an
    /// update (a rename, `ADD COLUMN`, `DROP COLUMN`) keeps the row's rowid. A row outside the
    /// region cannot have been deleted (dropping an object goes through the authorizer, which
    /// puts it in the region, with its table's indexes and triggers), so the highest rowid
    /// never fell below `above`, the highest cached rowid outside the region, and every new
    /// row is above it. What can differ is therefore the region's cached rows (`listed`, by
    /// rowid) and the rows above `above`: O(region + new rows), whatever the schema's size.
    /// Outside the region only the rows' SQL can have changed (a rename rewrites references
    /// to its table), never their names, which is why [`Cache::rewritten`] widens the region
    /// after a rename.
    fn span(&self, region: &Region) -> Span {
        if region.all || region.renumbered {
            return Span::Whole;
        }
        let mut listed = BTreeSet::new();
        for table in &region.tables {
            listed.extend(self.rows_by_table.get(table).into_iter().flatten());
        }
        for name in &region.names {
            listed.extend(self.rows_by_name.get(name).into_iter().flatten());
        }
        // SQLite allows 32766 parameters: a region that large is read whole.
        if listed.len() >= MAX_PARAMETERS {
            return Span::Whole;
        }
        // From the top down, the rows skipped are the region's: O(region) steps.
        let above = self
            .rows
            .keys()
            .rev()
            .find(|&rowid| !listed.contains(rowid))
            .copied();
        match above {
            Some(above) => Span::Partial {
                above,
                listed: listed.into_iter().collect(),
            },
            // Every row is in the region.
            None => Span::Whole,
        }
    }

    /// Reads the objects of `region` from the database, with the rows of the schema table
    /// that can have changed since the cache's state ([`Cache::span`]); the cache stays as it
    /// is until [`Cache::replace`] takes the read, so a read of a state that is then rolled
    /// back leaves no trace.
    pub(crate) fn read(&self, conn: &Connection, region: &Region) -> rusqlite::Result<Read> {
        let span = self.span(region);
        let found = match &span {
            Span::Whole => schema_rows(
                &mut conn.prepare("SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema")?,
                [],
            )?,
            Span::Partial { above, listed } => schema_rows(
                &mut conn.prepare(&partial_sql(listed.len()))?,
                params_from_iter(std::iter::once(above).chain(listed)),
            )?,
        };
        let mut objects = Objects::new();
        let mut rows = Rows::new();
        for (rowid, kind, name, table, sql) in found {
            let key = name.to_ascii_lowercase();
            let table = table.to_ascii_lowercase();
            rows.insert(
                rowid,
                RowKey {
                    name: key.clone(),
                    table: table.clone(),
                },
            );
            // SQLite's own rows (`sqlite_%`) are rows, not objects of the schema.
            if key.starts_with("sqlite_") || !region.has_row(&key, &table) {
                continue;
            }
            let (Some(kind), Some(sql)) = (Kind::parse(&kind), sql) else {
                continue;
            };
            let shape = match kind {
                Kind::Table => Shape::Table(read_table(conn, &name, &sql)?),
                Kind::Index => Shape::Index(read_index(conn, &name, &table, &sql)?),
                Kind::View | Kind::Trigger => Shape::Sql(canonical(&sql)),
            };
            objects.insert(
                key,
                Object {
                    kind,
                    name,
                    table,
                    sql,
                    shape,
                },
            );
        }
        Ok(Read {
            objects,
            span,
            rows,
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Object> {
        self.objects.get(key)
    }

    /// The objects whose stored SQL is not what the cache holds, found with one read of the
    /// whole schema table: what an `ALTER TABLE ... RENAME` rewrote besides its own table
    /// (the new name, indexes, triggers, views and other tables' foreign keys).
    ///
    /// O(schema), but only after a rename, and proportional to SQLite's own work: the rename
    /// itself rewrites every row of `sqlite_schema` that mentions the table, which it finds
    /// by parsing every row.
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

/// Rowids a region read passes as parameters, at most.
const MAX_PARAMETERS: usize = 10_000;

/// The query of a partial read: the rows above `?1` and the `listed` rowids after it. SQLite
/// runs it as one search of the rowid b-tree per term (its multi-index `OR`), not a scan.
fn partial_sql(listed: usize) -> String {
    format!(
        "SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema \
         WHERE rowid > ?1 OR rowid IN ({})",
        placeholders(2, listed)
    )
}

/// One row of `sqlite_schema`: rowid, type, name, tbl_name, sql.
type SchemaRow = (i64, String, String, String, Option<String>);

/// The rows a query of `sqlite_schema` returns ([`SchemaRow`]'s columns, in order).
fn schema_rows(
    statement: &mut Statement<'_>,
    params: impl Params,
) -> rusqlite::Result<Vec<SchemaRow>> {
    statement
        .query_map(params, |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect()
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
                declared_type: r.get::<_, String>(1)?.to_ascii_uppercase(),
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
        columns.push(canonical(index_columns(sql)));
    }
    let (unique, partial): (bool, bool) = conn
        .prepare("SELECT \"unique\", partial FROM pragma_index_list(?1) WHERE name = ?2")?
        .query_row([table, name], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(IndexShape {
        table: table.to_ascii_lowercase(),
        unique,
        columns,
        partial: partial.then(|| canonical(after_top_level_where(sql))),
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

/// [`compact`], with identifiers unquoted when they need no quotes and words in lower case
/// (strings kept as written): SQL that means the same compares equal, e.g. a view whose
/// table a rename and its reverse left as `"users"` where it was written `users`.
pub(crate) fn canonical(sql: &str) -> String {
    let plain = |name: &str| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut words = String::with_capacity(sql.len());
    for (trivia, text) in tokens(sql) {
        if trivia {
            words.push(' ');
            continue;
        }
        let unquoted = match text.as_bytes().first() {
            Some(b'"' | b'`') if text.len() >= 2 => Some(&text[1..text.len() - 1]),
            Some(b'[') if text.len() >= 2 => Some(&text[1..text.len() - 1]),
            _ => None,
        };
        match unquoted {
            Some(name) if plain(name) => words.push_str(&name.to_ascii_lowercase()),
            Some(_) => words.push_str(text),
            None if text.starts_with('\'') => words.push_str(text),
            None => words.push_str(&text.to_ascii_lowercase()),
        }
        // Keeps adjacent tokens apart for `compact`, which drops this space when it can.
        words.push(' ');
    }
    compact(&words)
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

/// The `CHECK (...)` clauses of a table statement.
fn checks(sql: &str) -> BTreeSet<Check> {
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
            let clause = words[i..=end].join(" ");
            found.insert(Check {
                key: canonical(&clause),
                text: compact(&clause),
            });
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
    fn a_partial_read_searches_by_rowid() {
        let conn = Connection::open_in_memory().expect("open");
        for i in 0..200 {
            conn.execute_batch(&format!("CREATE TABLE t{i} (x UNIQUE)"))
                .expect("create");
        }
        for listed in [0, 1, 3] {
            let sql = format!("EXPLAIN QUERY PLAN {}", partial_sql(listed));
            let mut statement = conn.prepare(&sql).expect("plan");
            let params = (0..=listed).map(|i| i64::try_from(i).unwrap_or(0));
            let plan: Vec<String> = statement
                .query_map(params_from_iter(params), |r| r.get(3))
                .expect("plan")
                .collect::<Result<_, _>>()
                .expect("plan");
            assert!(
                plan.iter().all(|line| !line.starts_with("SCAN")),
                "{plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|line| line.contains("USING INTEGER PRIMARY KEY")),
                "{plan:?}"
            );
        }
    }

    #[test]
    fn checks_and_where_are_found_outside_parentheses() {
        let sql = "CREATE TABLE t (x INT CHECK (x > (0)), y INT, CONSTRAINT c CHECK(y<>x))";
        let found: Vec<String> = checks(sql).into_iter().map(|c| c.text).collect();
        assert_eq!(found, ["CHECK(x>(0))", "CHECK(y<>x)"]);
        assert_eq!(
            canonical("SELECT \"Name\", [x y] FROM `users` WHERE a = 'A b'"),
            "select name,[x y] from users where a='A b'"
        );
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
