//! The only changes an import makes to SQL bytes, each reported as one line:
//!
//! - sqlx's first line `-- no-transaction` becomes `-- migrate:no-transaction`;
//! - diesel's `run_in_transaction = false` becomes a first line `-- migrate:no-transaction`;
//! - in a migration that runs in a transaction, the lines holding nothing but
//!   `PRAGMA foreign_keys=OFF;` or `PRAGMA foreign_keys=ON;` (any case and spacing) are
//!   removed: SQLite ignores them inside a transaction, and the runtime does their job (foreign
//!   keys off around the transaction, `PRAGMA foreign_key_check` before the commit).
//!
//! Everything else is copied byte for byte.

use migrate_rules::NO_TRANSACTION_DIRECTIVE;
use migrate_rules::split::{self, TransactionConflict};

/// sqlx's own marker, which it looks for at the very start of the file.
const SQLX_NO_TRANSACTION: &str = "-- no-transaction";

/// sqlx's `-- no-transaction` start (`sql.starts_with("-- no-transaction")`, as sqlx tests it)
/// written as our directive. Returns the change, if any.
pub(crate) fn sqlx_directive(bytes: &mut Vec<u8>) -> Option<String> {
    if !bytes.starts_with(SQLX_NO_TRANSACTION.as_bytes()) {
        return None;
    }
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let content_end = if line_end > 0 && bytes.get(line_end - 1) == Some(&b'\r') {
        line_end - 1
    } else {
        line_end
    };
    let first_line = String::from_utf8_lossy(&bytes[..content_end]).into_owned();
    if first_line.trim_end() == SQLX_NO_TRANSACTION {
        bytes.splice(..content_end, NO_TRANSACTION_DIRECTIVE.bytes());
        Some(format!(
            "line 1: `{SQLX_NO_TRANSACTION}` (sqlx) written as `{NO_TRANSACTION_DIRECTIVE}`"
        ))
    } else {
        // `-- no-transaction, because ...`: sqlx reads it as its marker; the line stays as a
        // comment under ours.
        prepend_directive(bytes);
        Some(format!(
            "added line 1: `{NO_TRANSACTION_DIRECTIVE}` (sqlx reads the first line `{}` as `{SQLX_NO_TRANSACTION}`)",
            first_line.trim_end()
        ))
    }
}

/// diesel's `run_in_transaction = false` as our directive. Returns the change, if any.
pub(crate) fn diesel_directive(bytes: &mut Vec<u8>) -> Option<String> {
    if is_no_transaction(bytes) {
        return None;
    }
    prepend_directive(bytes);
    Some(format!(
        "added line 1: `{NO_TRANSACTION_DIRECTIVE}` (metadata.toml: run_in_transaction = false)"
    ))
}

fn prepend_directive(bytes: &mut Vec<u8>) {
    let line = format!("{NO_TRANSACTION_DIRECTIVE}\n");
    bytes.splice(..0, line.bytes());
}

/// True when the file's first line is our directive, as the rules read it.
pub(crate) fn is_no_transaction(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(first).trim_end() == NO_TRANSACTION_DIRECTIVE
}

/// Removes every line that holds exactly one `PRAGMA foreign_keys=ON|OFF;` statement and
/// nothing else (statements found by the rules' splitter, so that a string or a comment
/// that reads the same is never touched). Returns one change per removed line, with its
/// 1-based line number in the source file.
pub(crate) fn remove_foreign_key_pragmas(bytes: &mut Vec<u8>) -> Vec<String> {
    let Ok(sql) = std::str::from_utf8(bytes) else {
        // The rules report the file; nothing is changed in it.
        return Vec::new();
    };
    let mut removals = Vec::new();
    for statement in split::split(sql).statements {
        let text = statement.text(sql);
        if split::transaction_conflict(text) != Some(TransactionConflict::PragmaForeignKeys)
            || !is_on_or_off(text)
        {
            continue;
        }
        let line_start = sql[..statement.start].rfind('\n').map_or(0, |i| i + 1);
        let newline = sql[statement.end..].find('\n').map(|i| statement.end + i);
        let line = &sql[line_start..newline.unwrap_or(sql.len())];
        if line.trim() != text {
            // Shares its line with something else: left to the rules, which say what to do.
            continue;
        }
        let removed_end = newline.map_or(sql.len(), |i| i + 1);
        removals.push((
            line_start..removed_end,
            format!(
                "removed line {}: {}",
                statement.line,
                line.trim_end_matches('\r')
            ),
        ));
    }
    // From the end, so that earlier ranges stay where they are.
    for (range, _) in removals.iter().rev() {
        bytes.drain(range.clone());
    }
    removals.into_iter().map(|(_, change)| change).collect()
}

/// `PRAGMA foreign_keys = ON;` or `OFF`, in any case and spacing.
fn is_on_or_off(statement: &str) -> bool {
    let compact: String = statement
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    compact == "pragmaforeign_keys=on;" || compact == "pragmaforeign_keys=off;"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed(sql: &str) -> (String, Vec<String>) {
        let mut bytes = sql.as_bytes().to_vec();
        let changes = remove_foreign_key_pragmas(&mut bytes);
        (String::from_utf8(bytes).unwrap(), changes)
    }

    #[test]
    fn only_whole_foreign_keys_lines_are_removed() {
        let sql = "PRAGMA foreign_keys=OFF;\nCREATE TABLE t (x);\n  pragma FOREIGN_KEYS = off ;\r\n\
                   PRAGMA defer_foreign_keys=ON;\nPRAGMA foreign_key_check;\n\
                   SELECT 'PRAGMA foreign_keys=ON;';\n-- PRAGMA foreign_keys=ON;\n\
                   PRAGMA foreign_keys=ON; SELECT 1;\nPRAGMA foreign_keys = 0;\nPRAGMA foreign_keys=ON;";
        let (out, changes) = removed(sql);
        assert_eq!(
            out,
            "CREATE TABLE t (x);\nPRAGMA defer_foreign_keys=ON;\nPRAGMA foreign_key_check;\n\
             SELECT 'PRAGMA foreign_keys=ON;';\n-- PRAGMA foreign_keys=ON;\n\
             PRAGMA foreign_keys=ON; SELECT 1;\nPRAGMA foreign_keys = 0;\n"
        );
        assert_eq!(
            changes,
            [
                "removed line 1: PRAGMA foreign_keys=OFF;",
                "removed line 3:   pragma FOREIGN_KEYS = off ;",
                "removed line 10: PRAGMA foreign_keys=ON;",
            ]
        );
    }

    #[test]
    fn sqlx_marker_becomes_the_directive() {
        let mut exact = b"-- no-transaction\r\nVACUUM;\n".to_vec();
        assert!(sqlx_directive(&mut exact).is_some());
        assert_eq!(exact, b"-- migrate:no-transaction\r\nVACUUM;\n");
        assert!(is_no_transaction(&exact));

        let mut longer = b"-- no-transaction: vacuum\nVACUUM;\n".to_vec();
        assert!(sqlx_directive(&mut longer).is_some());
        assert_eq!(
            longer,
            b"-- migrate:no-transaction\n-- no-transaction: vacuum\nVACUUM;\n"
        );

        let mut plain = b"\n-- no-transaction\nVACUUM;\n".to_vec();
        assert_eq!(sqlx_directive(&mut plain), None);
        assert_eq!(plain, b"\n-- no-transaction\nVACUUM;\n");
    }

    #[test]
    fn diesel_metadata_adds_the_directive_once() {
        let mut sql = b"CREATE INDEX i ON t (x);\n".to_vec();
        assert!(diesel_directive(&mut sql).is_some());
        assert_eq!(
            sql,
            b"-- migrate:no-transaction\nCREATE INDEX i ON t (x);\n"
        );
        assert_eq!(diesel_directive(&mut sql), None);
    }
}
