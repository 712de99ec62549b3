//! Property tests: the name parser and the splitter never panic, whatever the input, and the
//! splitter's statements cover the input exactly.
//!
//! The number of cases is modest by default; set `PROPTEST_CASES` for a longer run.

use migrate_rules::name::{is_description_char, parse_file_name};
use migrate_rules::packed::PackedSet;
use migrate_rules::split::{skip_trivia, split};
use migrate_rules::{Entry, FileKind, MigrationSet};
use migrate_test_kit::proptest_config;
use proptest::prelude::*;

/// Text made of the pieces the splitter cares about, so that quotes, comments and trigger
/// bodies meet each other far more often than in uniformly random strings.
fn sql_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => soup_piece(),
        1 => prop_oneof![Just("'"), Just("\""), Just("`"), Just("["), Just("]")],
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Like [`sql_soup`], with every quote closed, so that most scripts are valid migrations.
fn closed_sql_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(soup_piece(), 1..48).prop_map(|pieces| pieces.concat())
}

fn soup_piece() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("'a;b'"),
        Just("''"),
        Just("\"x;\"\"\""),
        Just("`y;`"),
        Just("[z;']"),
        Just(";"),
        Just(" "),
        Just("\n"),
        Just("\r\n"),
        Just("--"),
        Just("-"),
        Just("/*"),
        Just("*/"),
        Just("/"),
        Just("*"),
        Just("CREATE"),
        Just("TEMP"),
        Just("trigger"),
        Just("EXPLAIN"),
        Just("BEGIN"),
        Just("END"),
        Just("CASE"),
        Just("SELECT 1"),
        Just("x"),
        Just("é"),
        Just("☕"),
        Just("$"),
        Just("("),
        Just(")"),
        Just("\t"),
        Just("\u{feff}"),
    ]
}

/// Any string: either arbitrary Unicode or SQL-shaped soup.
fn any_script() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), sql_soup(), "[ -~\n]{0,64}"]
}

/// Checks everything the splitter promises about one script.
fn check_split(script: &str) -> Result<(), TestCaseError> {
    let result = split(script);
    let statements = &result.statements;
    if statements.is_empty() {
        // Only whitespace, comments and empty statements.
        prop_assert_eq!(skip_trivia(script), script.len());
        return Ok(());
    }
    // The spans partition the script: concatenated, they are the script.
    let concatenated: String = statements.iter().map(|s| &script[s.span.clone()]).collect();
    prop_assert_eq!(&concatenated, script);
    prop_assert_eq!(statements[0].span.start, 0);
    prop_assert_eq!(statements.last().unwrap().span.end, script.len());
    for pair in statements.windows(2) {
        prop_assert_eq!(pair[0].span.end, pair[1].span.start);
    }
    for s in statements {
        prop_assert!(s.span.start <= s.start && s.start < s.end && s.end <= s.span.end);
        prop_assert!(script.is_char_boundary(s.start) && script.is_char_boundary(s.end));
        // The statement starts at the span's first token.
        prop_assert_eq!(s.span.start + skip_trivia(&script[s.span.clone()]), s.start);
        // Its line is the line of its first token.
        let line = 1 + script[..s.start].matches('\n').count() as u32;
        prop_assert_eq!(s.line, line);
        let text = s.text(script);
        prop_assert!(!text.is_empty());
        prop_assert_ne!(text, ";");
    }
    // After the last statement, only trivia and empty statements.
    let last = statements.last().unwrap();
    prop_assert_eq!(last.end + skip_trivia(&script[last.end..]), script.len());
    // Every statement but the last ends with its `;`.
    for s in &statements[..statements.len() - 1] {
        prop_assert!(s.text(script).ends_with(';'));
        prop_assert_eq!(s.end, s.span.end);
    }
    if let Some(open) = result.unterminated {
        prop_assert!(matches!(open.quote, '\'' | '"' | '`' | '['));
        prop_assert!(script.contains(open.quote));
    }
    Ok(())
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn parse_file_name_never_panics(name in "\\PC*") {
        let _ = parse_file_name(&name);
    }

    #[test]
    fn parse_file_name_never_panics_on_near_misses(
        name in "[0-9]{0,22}[_.a-z-]{0,3}[a-zA-Z0-9_ .é-]{0,8}(\\.down)?(\\.sql)?"
    ) {
        if let Ok(parsed) = parse_file_name(&name) {
            // Whatever parses is well-formed.
            prop_assert!(parsed.version >= 1);
            prop_assert!(!parsed.description.is_empty());
            prop_assert!(parsed.description.chars().all(is_description_char));
            prop_assert!(parsed.version_digits.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn valid_names_parse_back(
        version in 1..=i64::MAX,
        zeros in 0usize..4,
        description in "[A-Za-z0-9_-]{1,20}",
        down in any::<bool>(),
    ) {
        let digits = format!("{}{version}", "0".repeat(zeros));
        let name = format!("{digits}_{description}{}.sql", if down { ".down" } else { "" });
        let parsed = parse_file_name(&name).unwrap();
        prop_assert_eq!(parsed.version, version);
        prop_assert_eq!(parsed.version_digits, digits.as_str());
        prop_assert_eq!(parsed.description, description.as_str());
        prop_assert_eq!(parsed.kind, if down { FileKind::Down } else { FileKind::Up });
    }

    #[test]
    fn split_never_panics_and_covers_the_input(script in any_script()) {
        check_split(&script)?;
    }

    #[test]
    fn skip_trivia_never_panics(text in any_script()) {
        let at = skip_trivia(&text);
        prop_assert!(at <= text.len());
        prop_assert!(text.is_char_boundary(at));
    }

    #[test]
    fn statements_survive_packing(
        scripts in prop::collection::vec(closed_sql_soup(), 1..5)
    ) {
        // Whatever the splitter makes of a script, the packed layout gives it back.
        let entries = scripts.iter().enumerate().map(|(i, sql)| {
            Entry::file(format!("{}_m.sql", i + 1), format!("-- migrate:no-transaction\n{sql}"))
        });
        // A script may still have no statement, or a `/*` that swallows a closing quote.
        let set = MigrationSet::from_entries(entries);
        prop_assume!(set.is_ok());
        let set = set.unwrap();
        let packed = PackedSet::pack(&set).unwrap();
        let view = packed.view();
        for (i, m) in set.migrations().iter().enumerate() {
            let up = view.up(i);
            prop_assert_eq!(up.sql, m.up.sql.as_str());
            prop_assert_eq!(up.statement_count(), m.up.statements.len());
            for (actual, expected) in up.statements().zip(&m.up.statements) {
                prop_assert_eq!(actual.text, expected.text(&m.up.sql));
                prop_assert_eq!(actual.line(), expected.line);
            }
        }
    }
}
