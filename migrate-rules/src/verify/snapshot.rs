//! The snapshot: the schema as plain SQL that `sqlite3` can execute, and a short diff of two.
//!
//! Invariants: deterministic for a schema and a list of applied files, whatever the order
//! the objects were created in: one `-- <file> <checksum>` line per applied migration, a
//! blank line, then each object's normalised `CREATE` statement with a `;`, tables first,
//! then indexes, views and triggers, each kind sorted by name; it ends with a newline.
//! SQLite's own objects (`sqlite_%`) are left out: `sqlite3` creates them itself.

use std::collections::HashSet;

use rusqlite::Connection;

use super::schema::{Kind, normalise};
use crate::set::Script;

/// Lines a diff shows before summing up the rest.
const DIFF_LINES: usize = 20;

/// Renders the schema of `conn`, headed by the applied scripts.
pub(crate) fn render(conn: &Connection, applied: &[&Script]) -> rusqlite::Result<String> {
    let mut statement = conn.prepare(
        "SELECT type, name, sql FROM sqlite_schema \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let mut objects = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((kind, name, sql)) => {
                let kind = match kind.as_str() {
                    "table" => Kind::Table,
                    "index" => Kind::Index,
                    "view" => Kind::View,
                    "trigger" => Kind::Trigger,
                    _ => return None,
                };
                Some(Ok((kind, name, sql)))
            }
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    objects.sort();

    let mut out = String::new();
    for script in applied {
        out.push_str(&format!("-- {} {}\n", script.file_name, script.checksum));
    }
    out.push('\n');
    for (_, _, sql) in objects {
        out.push_str(&normalise(&sql));
        out.push_str(";\n");
    }
    Ok(out)
}

/// A short line diff from `committed` to `built`: `- ` lines only in the committed
/// snapshot, `+ ` lines only in the built one, at most 20 lines and then
/// `... and N more`. Empty when they are equal.
///
/// ```
/// use migrate_rules::verify::diff_snapshots;
///
/// let diff = diff_snapshots("a\nb\nc\n", "a\nB\nc\n");
/// assert_eq!(diff, "- b\n+ B\n");
/// ```
pub fn diff_snapshots(committed: &str, built: &str) -> String {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = built.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old = &old[prefix..old.len() - suffix];
    let new = &new[prefix..new.len() - suffix];
    // Objects are sorted, so a changed middle is mostly lines removed and lines added; a
    // line present on both sides (moved) is not worth showing.
    let (old_set, new_set): (HashSet<&str>, HashSet<&str>) =
        (old.iter().copied().collect(), new.iter().copied().collect());
    let removed = old
        .iter()
        .filter(|l| !new_set.contains(*l))
        .map(|l| format!("- {l}"));
    let added = new
        .iter()
        .filter(|l| !old_set.contains(*l))
        .map(|l| format!("+ {l}"));
    let lines: Vec<String> = removed.chain(added).collect();
    let mut out = String::new();
    for line in lines.iter().take(DIFF_LINES) {
        out.push_str(line);
        out.push('\n');
    }
    if lines.len() > DIFF_LINES {
        out.push_str(&format!("... and {} more\n", lines.len() - DIFF_LINES));
    }
    if out.is_empty() && committed != built {
        // Only line endings or a final newline differ.
        out.push_str("- (the committed file differs in line endings or its last newline)\n");
    }
    out
}
