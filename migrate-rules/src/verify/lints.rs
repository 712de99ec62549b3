//! Lints: what a migration changed that applies cleanly here but deserves a second look,
//! found by comparing the objects it touched before and after it, never its SQL text.
//!
//! Invariants: only objects of the touched region are compared, so the cost follows the
//! migration, not the schema; a lint names the statement that last touched its object.

use std::collections::BTreeSet;

use super::Lint;
use super::sandbox::Touched;
use super::schema::{Kind, Object, Objects, Shape, TableShape};
use crate::split::tokens;

/// A lint found in one migration, before its file's allow lines are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub lint: Lint,
    /// 0-based index of the statement responsible.
    pub statement: usize,
    pub message: String,
}

/// The lints of one migration: `before` and `after` hold the same region of the schema.
pub(crate) fn find(before: &Objects, after: &Objects, touched: &Touched) -> Vec<Found> {
    let mut found = Vec::new();
    let statement_of = |table: &str, name: Option<&str>| {
        name.and_then(|n| touched.names.get(n))
            .or_else(|| touched.tables.get(table))
            .or_else(|| touched.altered.get(table))
            .copied()
            .unwrap_or(0)
    };
    let tables = |objects: &'_ Objects| -> Vec<(String, TableShape, String)> {
        objects
            .iter()
            .filter_map(|(key, object)| match &object.shape {
                Shape::Table(shape) => Some((key.clone(), shape.clone(), object.name.clone())),
                _ => None,
            })
            .collect()
    };
    let before_tables = tables(before);
    let after_tables = tables(after);
    let is_table = |objects: &Objects, key: &str| {
        objects
            .get(key)
            .is_some_and(|o: &Object| o.kind == Kind::Table)
    };

    // Tables gone, and tables new: a gone table whose columns a new one has was renamed.
    let mut new_tables: Vec<&(String, TableShape, String)> = after_tables
        .iter()
        .filter(|(key, ..)| !is_table(before, key))
        .collect();
    let mut pairs = Vec::new();
    for (key, shape, name) in &before_tables {
        if let Some((_, after_shape, _)) = after_tables.iter().find(|(k, ..)| k == key) {
            pairs.push((key.clone(), name.clone(), shape, after_shape));
            continue;
        }
        let statement = statement_of(key, None);
        let columns = column_names(shape);
        match new_tables
            .iter()
            .position(|(_, new, _)| column_names(new) == columns)
        {
            Some(i) => {
                let (new_key, new_shape, new_name) = new_tables.remove(i);
                found.push(Found {
                    lint: Lint::BackwardIncompatible,
                    statement,
                    message: format!("table `{name}` is renamed to `{new_name}`"),
                });
                pairs.push((new_key.clone(), new_name.clone(), shape, new_shape));
            }
            None => found.push(Found {
                lint: Lint::Destructive,
                statement,
                message: format!("table `{name}` is dropped"),
            }),
        }
    }
    for (key, name, before_shape, after_shape) in &pairs {
        table_lints(
            name,
            before_shape,
            after_shape,
            statement_of(key, None),
            &mut found,
        );
    }

    // A unique index new on a table the migration did not create.
    let created: BTreeSet<&str> = new_tables.iter().map(|(k, ..)| k.as_str()).collect();
    for (key, object) in after {
        let Shape::Index(index) = &object.shape else {
            continue;
        };
        let unchanged = before.get(key).is_some_and(|b| b.shape == object.shape);
        if index.unique && !unchanged && !created.contains(index.table.as_str()) {
            found.push(Found {
                lint: Lint::DataDependent,
                statement: statement_of(&index.table, Some(key)),
                message: format!(
                    "unique index `{}` on existing table `{}`: existing rows may hold duplicates",
                    object.name, index.table
                ),
            });
        }
    }
    found
}

fn column_names(shape: &TableShape) -> Vec<String> {
    shape
        .columns
        .iter()
        .map(|c| c.name.to_ascii_lowercase())
        .collect()
}

/// Columns dropped or renamed, and constraints added, on a table that existed before.
fn table_lints(
    table: &str,
    before: &TableShape,
    after: &TableShape,
    statement: usize,
    found: &mut Vec<Found>,
) {
    let has = |shape: &TableShape, name: &str| {
        shape
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let mut added: Vec<_> = after
        .columns
        .iter()
        .filter(|c| has(before, &c.name).is_none())
        .collect();
    for column in &before.columns {
        match has(after, &column.name) {
            None => {
                // A column gone and a new one identical but for its name: renamed, as
                // `RENAME COLUMN` does, which keeps type, constraints and default. A rebuild
                // that drops a column and adds another with other constraints is a drop.
                let renamed = added.iter().position(|a| {
                    a.declared_type.eq_ignore_ascii_case(&column.declared_type)
                        && a.not_null == column.not_null
                        && a.default == column.default
                        && a.primary_key == column.primary_key
                        && a.hidden == column.hidden
                });
                match renamed {
                    Some(i) => {
                        let new = added.remove(i);
                        found.push(Found {
                            lint: Lint::BackwardIncompatible,
                            statement,
                            message: format!(
                                "column `{table}.{}` is renamed to `{}`",
                                column.name, new.name
                            ),
                        });
                    }
                    None => found.push(Found {
                        lint: Lint::Destructive,
                        statement,
                        message: format!("column `{table}.{}` is dropped", column.name),
                    }),
                }
            }
            Some(now) if now.not_null && !column.not_null => found.push(Found {
                lint: Lint::DataDependent,
                statement,
                message: format!(
                    "`NOT NULL` added to existing column `{table}.{}`: existing rows may hold NULL",
                    column.name
                ),
            }),
            Some(_) => {}
        }
    }
    // A `CHECK` only on columns new in this migration cannot fail on existing rows' values
    // (`ADD COLUMN ... CHECK`): only one naming an existing column is data-dependent.
    let existing = |check: &str| {
        tokens(check).any(|(trivia, word)| {
            let word = word.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'));
            !trivia && has(before, word).is_some()
        })
    };
    for check in after
        .checks
        .difference(&before.checks)
        .filter(|c| existing(&c.text))
    {
        found.push(Found {
            lint: Lint::DataDependent,
            statement,
            message: format!(
                "`{}` added to existing table `{table}`: existing rows may violate it",
                check.text
            ),
        });
    }
    for unique in after.uniques.difference(&before.uniques) {
        found.push(Found {
            lint: Lint::DataDependent,
            statement,
            message: format!(
                "`UNIQUE ({})` added to existing table `{table}`: existing rows may hold duplicates",
                unique.join(", ")
            ),
        });
    }
}
