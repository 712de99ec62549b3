//! `-- migrate:allow <lint>` lines: a file silences a lint for itself.
//!
//! Invariant: only whole comment lines count (leading whitespace allowed), so a string
//! holding the text does not silence anything; names may be separated by spaces or commas.

use super::Lint;

/// The prefix of an allow line.
const ALLOW: &str = "-- migrate:allow";

/// The lints a script allows, and the names on allow lines that are no lint.
pub(crate) fn allowed_lints(sql: &str) -> (Vec<Lint>, Vec<String>) {
    let mut lints = Vec::new();
    let mut unknown = Vec::new();
    for line in sql.lines() {
        let Some(rest) = line.trim_start().strip_prefix(ALLOW) else {
            continue;
        };
        // `-- migrate:allowed` is another comment, not an allow line.
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        for name in rest
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|n| !n.is_empty())
        {
            match Lint::from_name(name) {
                Some(lint) if !lints.contains(&lint) => lints.push(lint),
                Some(_) => {}
                None if !unknown.iter().any(|u| u == name) => unknown.push(name.to_owned()),
                None => {}
            }
        }
    }
    (lints, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lines_name_lints() {
        let sql = "-- migrate:allow destructive, data-dependent\n  -- migrate:allow nope\n\
                   -- migrate:allowed destructive\nSELECT '-- migrate:allow backward-incompatible';";
        let (lints, unknown) = allowed_lints(sql);
        assert_eq!(lints, [Lint::Destructive, Lint::DataDependent]);
        assert_eq!(unknown, ["nope"]);
    }
}
