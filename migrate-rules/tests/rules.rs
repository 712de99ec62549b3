//! Every rule of a migration set, table-driven through one [`check`] helper.
//!
//! A case is a directory listing and the expected outcome, rendered as lines: a valid set
//! renders one line per migration, a rejected set one `error: ...` line per problem (the exact
//! message the macro shows as a compiler error). `check` runs the rules twice, on in-memory
//! entries and on the same files written to a temporary directory, and requires both to agree.

use std::fs;
use std::path::Path;

use migrate_rules::{Entry, MigrationSet, Problem, Problems, Script};

/// Checks that `files` (name, contents) give exactly `expected`.
///
/// A name ending in `/` stands for a subdirectory. Expected lines are either
/// `<version> <description>: <file> (<n> statements[, no-transaction])[ + <down file> (...)]`
/// for a valid set, or `error: <message>` for each problem, in order.
#[track_caller]
fn check<C: AsRef<[u8]>>(files: &[(&str, C)], expected: &[&str]) {
    let entries = files
        .iter()
        .map(|(name, contents)| match name.strip_suffix('/') {
            Some(dir) => Entry::directory(dir),
            None => Entry::file(*name, contents.as_ref()),
        });
    let from_entries = MigrationSet::from_entries(entries);
    let actual = render(&from_entries);
    assert_eq!(
        actual,
        expected,
        "\nfiles: {:?}\nactual:\n{}\n",
        files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        actual.join("\n")
    );

    // The directory reader must reach the same verdict. Only an empty set differs: read from a
    // directory, its message names the directory.
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        match name.strip_suffix('/') {
            Some(sub) => fs::create_dir(dir.path().join(sub)).unwrap(),
            None => fs::write(dir.path().join(name), contents).unwrap(),
        }
    }
    let from_dir = MigrationSet::from_dir(dir.path());
    let is_empty_set = |r: &Result<MigrationSet, Problems>| matches!(r, Err(p) if p.iter().any(|p| matches!(p, Problem::NoMigrations { .. })));
    if is_empty_set(&from_entries) {
        let message = format!(
            "error: no migrations found in `{}`: add a file such as `0001_init.sql`",
            dir.path().display()
        );
        assert!(
            render(&from_dir).contains(&message),
            "{:?}",
            render(&from_dir)
        );
    } else {
        assert_eq!(
            render(&from_dir),
            actual,
            "from_dir disagrees with from_entries"
        );
        assert_eq!(from_dir.ok(), from_entries.ok());
    }
}

fn render(result: &Result<MigrationSet, Problems>) -> Vec<String> {
    match result {
        Ok(set) => set
            .migrations()
            .iter()
            .map(|m| {
                let mut line = format!("{} {}: {}", m.version, m.description, script(&m.up));
                if let Some(down) = &m.down {
                    line += &format!(" + {}", script(down));
                }
                line
            })
            .collect(),
        Err(problems) => problems.iter().map(|p| format!("error: {p}")).collect(),
    }
}

fn script(script: &Script) -> String {
    let n = script.statements.len();
    format!(
        "{} ({n} statement{}{})",
        script.file_name,
        if n == 1 { "" } else { "s" },
        if script.no_transaction {
            ", no-transaction"
        } else {
            ""
        }
    )
}

const GRAMMAR: &str =
    "expected `<version>_<description>.sql` or `<version>_<description>.down.sql`";

/// The message for an invalid name, which always ends with the grammar.
fn bad_name(file: &str, reason: &str) -> String {
    format!("error: `{file}` is not a valid migration file name: {reason}; {GRAMMAR}")
}

fn no_statements(file: &str) -> String {
    format!(
        "error: `{file}` contains no SQL statement: if this migration intentionally does nothing, \
         write a no-op statement such as `SELECT 1;`"
    )
}

fn not_in_transaction(file: &str, line: u32, what: &str) -> String {
    let advice = match what {
        "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" => format!(
            "remove `{what}`: each migration already runs in one transaction, committed \
             together with its tracking row (a first line `-- migrate:no-transaction` would \
             instead run it statement by statement, giving up that atomicity)"
        ),
        "PRAGMA foreign_keys" => "remove `PRAGMA foreign_keys`: SQLite ignores it inside a \
             transaction, and the runtime already does its job: foreign keys are off around \
             each migration's transaction and `PRAGMA foreign_key_check` runs before it \
             commits, so a table rebuild is safe without these lines (the other choice, a first \
             line `-- migrate:no-transaction`, gives up atomicity)"
            .to_owned(),
        _ => format!(
            "`{what}` cannot run inside a transaction; to run this migration outside one, make \
             `-- migrate:no-transaction` its first line"
        ),
    };
    format!("error: `{file}` line {line}: {advice}")
}

#[test]
fn good_names() {
    check(
        &[
            ("1_a.sql", "SELECT 1;"),
            ("0002_create_users.sql", "CREATE TABLE users (id INTEGER);"),
            ("003_add-Email_2.sql", "SELECT 1; SELECT 2;"),
            ("000000004_x.sql", "SELECT 1"),
            ("5_UPPER-lower_09.sql", "SELECT 1;"),
        ],
        &[
            "1 a: 1_a.sql (1 statement)",
            "2 create_users: 0002_create_users.sql (1 statement)",
            "3 add-Email_2: 003_add-Email_2.sql (2 statements)",
            "4 x: 000000004_x.sql (1 statement)",
            "5 UPPER-lower_09: 5_UPPER-lower_09.sql (1 statement)",
        ],
    );
}

#[test]
fn down_files_pair_with_their_up_file() {
    check(
        &[
            ("0001_a.sql", "CREATE TABLE a (x);"),
            ("0001_a.down.sql", "DROP TABLE a;"),
            (
                "0002_b.sql",
                "CREATE TABLE b (x); CREATE INDEX bx ON b (x);",
            ),
        ],
        &[
            "1 a: 0001_a.sql (1 statement) + 0001_a.down.sql (1 statement)",
            "2 b: 0002_b.sql (2 statements)",
        ],
    );
}

#[test]
fn the_description_is_everything_after_the_first_underscore() {
    check(
        &[("1__leading_underscore.sql", "SELECT 1;")],
        &["1 _leading_underscore: 1__leading_underscore.sql (1 statement)"],
    );
}

#[test]
fn version_zero_is_rejected() {
    for file in ["0_init.sql", "0000_init.sql"] {
        check(
            &[(file, "SELECT 1;")],
            &[&bad_name(file, "the version must be at least 1")],
        );
    }
    check(
        &[("0_init.down.sql", "SELECT 1;")],
        &[&bad_name(
            "0_init.down.sql",
            "the version must be at least 1",
        )],
    );
}

#[test]
fn versions_up_to_i64_max_parse_and_larger_ones_are_rejected() {
    // i64::MAX is a valid name; alone, it is a (very large) gap.
    check(
        &[("9223372036854775807_max.sql", "SELECT 1;")],
        &[
            "error: gap in migration versions: versions start at 1 but the first migration is \
             `9223372036854775807_max.sql` (1 to 9223372036854775806 are missing)",
        ],
    );
    for file in [
        "9223372036854775808_over.sql",
        "99999999999999999999999999_over.sql",
    ] {
        let digits = file.split('_').next().unwrap();
        check(
            &[("1_a.sql", "SELECT 1;"), (file, "SELECT 1;")],
            &[&bad_name(
                file,
                &format!("the version `{digits}` is larger than 9223372036854775807"),
            )],
        );
    }
    // Leading zeros do not count towards the size.
    check(
        &[("00000000000000000000000001_a.sql", "SELECT 1;")],
        &["1 a: 00000000000000000000000001_a.sql (1 statement)"],
    );
}

#[test]
fn versions_must_be_decimal() {
    for (file, digits) in [
        ("v1_a.sql", "v1"),
        ("1a_b.sql", "1a"),
        ("+1_a.sql", "+1"),
        ("-1_a.sql", "-1"),
        (" 1_a.sql", " 1"),
        ("١_arabic_digit.sql", "١"),
    ] {
        check(
            &[("1_ok.sql", "SELECT 1;"), (file, "SELECT 1;")],
            &[&bad_name(
                file,
                &format!("the version `{digits}` is not a decimal number"),
            )],
        );
    }
    for file in ["_a.sql", "__a.sql", "_a.down.sql"] {
        check(
            &[("1_ok.sql", "SELECT 1;"), (file, "SELECT 1;")],
            &[&bad_name(file, "the version is empty")],
        );
    }
}

#[test]
fn a_separator_is_required() {
    for file in ["0001.sql", "0001-init.sql", "init.sql", "0001.down.sql"] {
        check(
            &[(file, "SELECT 1;")],
            &[&bad_name(file, "no `_` between version and description")],
        );
    }
}

#[test]
fn the_description_must_not_be_empty() {
    for file in ["0001_.sql", "0001_.down.sql"] {
        check(
            &[(file, "SELECT 1;")],
            &[&bad_name(file, "the description is empty")],
        );
    }
}

#[test]
fn the_description_has_a_limited_alphabet() {
    for (file, c) in [
        ("0001_create users.sql", "' '"),
        ("0001_create.users.sql", "'.'"),
        ("0001_café.sql", "'é'"),
        ("0001_a+b.sql", "'+'"),
        ("0001_a.DOWN.sql", "'.'"),
        ("0001_a.down.down.sql", "'.'"),
    ] {
        check(
            &[(file, "SELECT 1;")],
            &[&bad_name(
                file,
                &format!("the description contains {c}; only `A-Z a-z 0-9 _ -` are allowed"),
            )],
        );
    }
}

#[test]
fn versions_are_unique_by_value() {
    check(
        &[("1_a.sql", "SELECT 1;"), ("001_b.sql", "SELECT 1;")],
        &["error: duplicate migration version 1: `001_b.sql` and `1_a.sql`"],
    );
    check(
        &[
            ("1_a.sql", "SELECT 1;"),
            ("01_b.sql", "SELECT 1;"),
            ("001_c.sql", "SELECT 1;"),
            ("2_d.sql", "SELECT 1;"),
        ],
        &["error: duplicate migration version 1: `001_c.sql`, `01_b.sql` and `1_a.sql`"],
    );
    // The same description does not make it less of a duplicate.
    check(
        &[("1_a.sql", "SELECT 1;"), ("01_a.sql", "SELECT 1;")],
        &["error: duplicate migration version 1: `01_a.sql` and `1_a.sql`"],
    );
    check(
        &[
            ("1_a.sql", "SELECT 1;"),
            ("1_a.down.sql", "SELECT 1;"),
            ("01_a.down.sql", "SELECT 1;"),
        ],
        &["error: duplicate migration version 1: `01_a.down.sql` and `1_a.down.sql`"],
    );
    // A new file beside one that has a down file: the duplicate only, not also the down file
    // as unmatched (whichever name sorts first).
    for new in ["0006_create_tags.sql", "0006_zz_tags.sql"] {
        check(
            &[
                ("0001_a.sql", "SELECT 1;"),
                ("0002_a.sql", "SELECT 1;"),
                ("0003_a.sql", "SELECT 1;"),
                ("0004_a.sql", "SELECT 1;"),
                ("0005_a.sql", "SELECT 1;"),
                ("0006_enable_wal.sql", "SELECT 1;"),
                ("0006_enable_wal.down.sql", "SELECT 1;"),
                (new, "SELECT 1;"),
            ],
            &[&format!(
                "error: duplicate migration version 6: {}",
                if new < "0006_enable_wal.sql" {
                    format!("`{new}` and `0006_enable_wal.sql`")
                } else {
                    format!("`0006_enable_wal.sql` and `{new}`")
                }
            )],
        );
    }
}

#[test]
fn versions_are_contiguous_from_one() {
    check(
        &[
            ("0001_a.sql", "SELECT 1;"),
            ("0002_b.sql", "SELECT 1;"),
            ("0004_d.sql", "SELECT 1;"),
        ],
        &[
            "error: gap in migration versions: `0002_b.sql` is followed by `0004_d.sql` (3 is missing)",
        ],
    );
    check(
        &[("1_a.sql", "SELECT 1;"), ("5_e.sql", "SELECT 1;")],
        &[
            "error: gap in migration versions: `1_a.sql` is followed by `5_e.sql` (2 to 4 are missing)",
        ],
    );
    check(
        &[("0002_b.sql", "SELECT 1;"), ("0003_c.sql", "SELECT 1;")],
        &[
            "error: gap in migration versions: versions start at 1 but the first migration is `0002_b.sql` (1 is missing)",
        ],
    );
    check(
        &[("3_c.sql", "SELECT 1;")],
        &[
            "error: gap in migration versions: versions start at 1 but the first migration is `3_c.sql` (1 to 2 are missing)",
        ],
    );
    // Every gap is reported, not only the first.
    check(
        &[
            ("2_b.sql", "SELECT 1;"),
            ("4_d.sql", "SELECT 1;"),
            ("7_g.sql", "SELECT 1;"),
        ],
        &[
            "error: gap in migration versions: versions start at 1 but the first migration is `2_b.sql` (1 is missing)",
            "error: gap in migration versions: `2_b.sql` is followed by `4_d.sql` (3 is missing)",
            "error: gap in migration versions: `4_d.sql` is followed by `7_g.sql` (5 to 6 are missing)",
        ],
    );
    // A file whose name is wrong only after its version is reported once, not also as a gap.
    check(
        &[
            ("1_a.sql", "SELECT 1;"),
            ("2_bad name.sql", "SELECT 1;"),
            ("3_c.sql", "SELECT 1;"),
        ],
        &[&bad_name(
            "2_bad name.sql",
            "the description contains ' '; only `A-Z a-z 0-9 _ -` are allowed",
        )],
    );
    check(
        &[("1_.sql", "SELECT 1;"), ("2_b.sql", "SELECT 1;")],
        &[&bad_name("1_.sql", "the description is empty")],
    );
    // Down files do not fill gaps.
    check(
        &[
            ("1_a.sql", "SELECT 1;"),
            ("2_b.down.sql", "SELECT 1;"),
            ("3_c.sql", "SELECT 1;"),
        ],
        &[
            "error: gap in migration versions: `1_a.sql` is followed by `3_c.sql` (2 is missing)",
            "error: `2_b.down.sql` has no matching up migration: expected `2_b.sql` beside it",
        ],
    );
}

#[test]
fn a_down_file_needs_its_up_file() {
    check(
        &[
            ("0001_a.sql", "SELECT 1;"),
            ("0002_b.down.sql", "SELECT 1;"),
        ],
        &["error: `0002_b.down.sql` has no matching up migration: expected `0002_b.sql` beside it"],
    );
    // Same version, different description.
    check(
        &[
            ("0001_a.sql", "SELECT 1;"),
            ("0001_b.down.sql", "SELECT 1;"),
        ],
        &["error: `0001_b.down.sql` has no matching up migration: expected `0001_b.sql` beside it"],
    );
    // Same version value and description, written with other digits: they pair.
    check(
        &[("1_a.sql", "SELECT 1;"), ("0001_a.down.sql", "SELECT 2;")],
        &["1 a: 1_a.sql (1 statement) + 0001_a.down.sql (1 statement)"],
    );
    check(
        &[("0001_a.down.sql", "SELECT 1;")],
        &["error: `0001_a.down.sql` has no matching up migration: expected `0001_a.sql` beside it"],
    );
}

#[test]
fn sql_must_be_utf8() {
    let file = |contents: &'static [u8]| [("0001_a.sql", contents)];
    check(
        &file(b"\xff"),
        &["error: `0001_a.sql` is not valid UTF-8 (first invalid byte on line 1)"],
    );
    check(
        &file(b"SELECT 1;\n-- \xc3\x28\nSELECT 2;"),
        &["error: `0001_a.sql` is not valid UTF-8 (first invalid byte on line 2)"],
    );
    // Latin-1 text saved by an old editor, on line 3.
    check(
        &file(b"CREATE TABLE t (x);\n\nINSERT INTO t VALUES ('caf\xe9');\n"),
        &["error: `0001_a.sql` is not valid UTF-8 (first invalid byte on line 3)"],
    );
    // Down files too.
    check(
        &[
            ("0001_a.sql", b"SELECT 1;" as &[u8]),
            ("0001_a.down.sql", b"\n\n\xfe"),
        ],
        &["error: `0001_a.down.sql` is not valid UTF-8 (first invalid byte on line 3)"],
    );
    // A byte-order mark is not a problem.
    check(
        &file(b"\xEF\xBB\xBFSELECT 1;"),
        &["1 a: 0001_a.sql (1 statement)"],
    );
}

/// The message for a stray character, as `Problem::StrayCharacter` words it.
fn stray(file: &str, line: u32, column: u32, character: char) -> String {
    let what = match character {
        '\0' => "a NUL byte (0x00): SQLite stops reading SQL at a NUL byte, so the rest of the \
                  statement would be lost at run time; remove it (for a NUL in data write \
                  `char(0)` or `x'00'`; a file full of NUL bytes is likely UTF-16: save it as \
                  UTF-8)"
            .to_owned(),
        '\u{feff}' => "a byte-order mark (U+FEFF, bytes EF BB BF) after the start of the file, \
                        usually left by joining files: it is invisible, and it hides the word \
                        after it from statement splitting (a `CREATE TRIGGER` would be cut at its \
                        first `;`); remove it (one is allowed only as the very first character)"
            .to_owned(),
        c => format!(
            "the control character 0x{:02x} outside a string or comment: SQLite rejects it at run \
             time (\"unrecognized token\"); remove it, or write it inside a string literal if \
             it is data",
            u32::from(c)
        ),
    };
    format!("error: `{file}` line {line}, column {column}: {what}")
}

#[test]
fn a_nul_byte_is_refused_anywhere_with_its_line_and_column() {
    let file = |contents: &'static str| [("0001_a.sql", contents)];
    check(
        &file("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\0\n"),
        &[&stray("0001_a.sql", 2, 26, '\0')],
    );
    // Inside a string or a comment too: SQLite would stop reading there.
    check(
        &file("SELECT 1;\nSELECT 'a\0b';"),
        &[&stray("0001_a.sql", 2, 10, '\0')],
    );
    check(
        &file("-- \0\nSELECT 1;"),
        &[&stray("0001_a.sql", 1, 4, '\0')],
    );
    // Columns count characters, and a CRLF file has the same lines as its LF twin.
    check(
        &file("SELECT 'é';\r\nSELECT 'ü',\0 2;\r\n"),
        &[&stray("0001_a.sql", 2, 12, '\0')],
    );
    // A UTF-16 file (valid UTF-8, a NUL after every ASCII byte): the first NUL is reported.
    check(
        &[("0001_a.sql", b"S\0E\0L\0" as &[u8])],
        &[&stray("0001_a.sql", 1, 2, '\0')],
    );
    // Down files too, and the other file of the set is still checked.
    check(
        &[("0001_a.sql", "SELECT 1"), ("0001_a.down.sql", "\n\n  \0")],
        &[&stray("0001_a.down.sql", 3, 3, '\0')],
    );
}

#[test]
fn control_characters_are_refused_outside_strings_and_comments() {
    let file = |contents: String| [("0001_a.sql", contents)];
    for c in (0x01u8..0x20).chain([0x7f]).map(char::from) {
        if matches!(c, '\t' | '\n' | '\x0c' | '\r') {
            // SQLite's whitespace.
            check(
                &file(format!("SELECT{c}1;")),
                &["1 a: 0001_a.sql (1 statement)"],
            );
            continue;
        }
        check(
            &file(format!("SELECT 1;\nSELECT{c} 2;")),
            &[&stray("0001_a.sql", 2, 7, c)],
        );
        check(
            &file(format!("CREATE TABLE t{c} (x);")),
            &[&stray("0001_a.sql", 1, 15, c)],
        );
        // Inside strings, quoted identifiers and comments SQLite takes them.
        check(
            &file(format!(
                "SELECT '{c}', \"{c}\", `{c}`, [{c}]; -- {c}\n/* {c} */ SELECT 2;"
            )),
            &["1 a: 0001_a.sql (2 statements)"],
        );
    }
}

#[test]
fn a_byte_order_mark_is_refused_after_the_start_of_a_file() {
    let file = |contents: &'static str| [("0001_a.sql", contents)];
    // Two files joined with `cat`: the second one's mark hides `CREATE` from the splitter.
    check(
        &file(
            "\u{feff}CREATE TABLE t (x);\n\u{feff}CREATE TRIGGER tr AFTER INSERT ON t BEGIN \
             SELECT 1; END;\n",
        ),
        &[&stray("0001_a.sql", 2, 1, '\u{feff}')],
    );
    check(
        &file("SELECT 1 +\u{feff} 2;"),
        &[&stray("0001_a.sql", 1, 11, '\u{feff}')],
    );
    check(
        &file("\u{feff}\u{feff}SELECT 1;"),
        &[&stray("0001_a.sql", 1, 1, '\u{feff}')],
    );
    // At the start, or as data in a string or a comment, it is fine.
    check(
        &file("\u{feff}SELECT '\u{feff}'; -- \u{feff}\n"),
        &["1 a: 0001_a.sql (1 statement)"],
    );
}

#[test]
fn sql_must_contain_a_statement() {
    for contents in [
        "",
        " ",
        "\n\n\t\r\n",
        "\u{feff}",
        "-- nothing to do yet\n",
        "/* nothing */",
        "/* never closed",
        "-- a\n/* b\n c */\n  -- d",
        ";",
        " ; ;\n;",
        "-- migrate:no-transaction\n",
    ] {
        check(&[("0001_a.sql", contents)], &[&no_statements("0001_a.sql")]);
    }
    // A deliberate no-op is fine.
    check(
        &[("0001_a.sql", "-- nothing for SQLite\nSELECT 1;\n")],
        &["1 a: 0001_a.sql (1 statement)"],
    );
    // An empty down file is as suspicious as an empty up file.
    check(
        &[("0001_a.sql", "SELECT 1;"), ("0001_a.down.sql", "\n")],
        &[&no_statements("0001_a.down.sql")],
    );
}

#[test]
fn quotes_must_be_closed() {
    for (contents, quote, line) in [
        ("SELECT 'abc;", '\'', 1),
        ("SELECT 1;\nSELECT 'it''s;\n", '\'', 2),
        ("CREATE TABLE \"t (x);", '"', 1),
        ("SELECT 1;\n\nSELECT `x;", '`', 3),
        ("SELECT [x;", '[', 1),
    ] {
        check(
            &[("0001_a.sql", contents)],
            &[&format!(
                "error: `0001_a.sql` line {line}: `{quote}` opened here is never closed"
            )],
        );
    }
}

#[test]
fn statements_that_cannot_run_in_a_transaction() {
    for (contents, line, what) in [
        ("BEGIN;", 1, "BEGIN"),
        ("begin immediate transaction;", 1, "BEGIN"),
        ("CREATE TABLE t (x);\nCOMMIT;", 2, "COMMIT"),
        ("CREATE TABLE t (x);\n\nEND TRANSACTION;", 3, "END"),
        ("SELECT 1;\nROLLBACK;", 2, "ROLLBACK"),
        ("SAVEPOINT sp;", 1, "SAVEPOINT"),
        ("RELEASE sp;", 1, "RELEASE"),
        ("-- compact\nVACUUM;", 2, "VACUUM"),
        ("PRAGMA foreign_keys = OFF;", 1, "PRAGMA foreign_keys"),
        ("pragma FOREIGN_KEYS=0;", 1, "PRAGMA foreign_keys"),
        ("PRAGMA main.journal_mode = WAL;", 1, "PRAGMA journal_mode"),
        ("PRAGMA \"journal_mode\" = WAL;", 1, "PRAGMA journal_mode"),
        (
            "SELECT 1;\n  /* x */ PRAGMA journal_mode;",
            2,
            "PRAGMA journal_mode",
        ),
        ("ATTACH 'other.db' AS other;", 1, "ATTACH"),
        ("DETACH other;", 1, "DETACH"),
    ] {
        check(
            &[("0001_a.sql", contents)],
            &[&not_in_transaction("0001_a.sql", line, what)],
        );
    }
    // Every offending statement is reported.
    check(
        &[(
            "0001_a.sql",
            "BEGIN;\nCREATE TABLE t (x);\nCOMMIT;\nVACUUM;\n",
        )],
        &[
            &not_in_transaction("0001_a.sql", 1, "BEGIN"),
            &not_in_transaction("0001_a.sql", 3, "COMMIT"),
            &not_in_transaction("0001_a.sql", 4, "VACUUM"),
        ],
    );
}

#[test]
fn statements_that_only_look_like_transaction_control_are_fine() {
    check(
        &[(
            "0001_a.sql",
            "CREATE TABLE vacuum_log (begin TEXT, \"commit\" TEXT);\n\
             INSERT INTO vacuum_log VALUES ('BEGIN;', 'VACUUM;');\n\
             PRAGMA user_version = 3;\n\
             PRAGMA foreign_key_check;\n\
             -- VACUUM;\n\
             CREATE TRIGGER tr AFTER INSERT ON vacuum_log BEGIN\n\
               SELECT CASE WHEN 1 THEN 2 END;\n\
             END;\n",
        )],
        &["1 a: 0001_a.sql (5 statements)"],
    );
}

#[test]
fn the_no_transaction_directive_allows_them() {
    let sql = "-- migrate:no-transaction\nPRAGMA journal_mode = WAL;\nVACUUM;\n";
    check(
        &[("0001_a.sql", sql)],
        &["1 a: 0001_a.sql (2 statements, no-transaction)"],
    );
    // Trailing spaces, CRLF and a byte-order mark do not matter.
    check(
        &[(
            "0001_a.sql",
            "\u{feff}-- migrate:no-transaction  \r\nBEGIN;\r\nCOMMIT;\r\n",
        )],
        &["1 a: 0001_a.sql (2 statements, no-transaction)"],
    );
    // Down files have their own directive.
    check(
        &[
            ("0001_a.sql", "SELECT 1;"),
            ("0001_a.down.sql", "-- migrate:no-transaction\nVACUUM;"),
        ],
        &["1 a: 0001_a.sql (1 statement) + 0001_a.down.sql (1 statement, no-transaction)"],
    );
    check(
        &[
            ("0001_a.sql", "-- migrate:no-transaction\nVACUUM;"),
            ("0001_a.down.sql", "VACUUM;"),
        ],
        &[&not_in_transaction("0001_a.down.sql", 1, "VACUUM")],
    );
    // Only on the first line.
    check(
        &[(
            "0001_a.sql",
            "-- compact the file\n-- migrate:no-transaction\nVACUUM;",
        )],
        &[&not_in_transaction("0001_a.sql", 3, "VACUUM")],
    );
    // Only the exact directive.
    check(
        &[("0001_a.sql", "-- migrate:no-transactions\nVACUUM;")],
        &[&not_in_transaction("0001_a.sql", 2, "VACUUM")],
    );
}

#[test]
fn hidden_and_other_files_are_ignored() {
    check(
        &[
            ("0001_a.sql", "SELECT 1;"),
            (".0002_b.sql", "not even sql"),
            (".DS_Store", "\0\0\0\x01Bud1"),
            ("README.md", "# migrations"),
            ("0002_b.sql.bak", ""),
            ("0002_b.SQL", ""),
            ("notes.txt", "\u{0}"),
            (".hidden/", ""),
            (".sql", ""),
        ],
        &["1 a: 0001_a.sql (1 statement)"],
    );
    // A directory of ignored files is an empty set.
    check(
        &[(".gitkeep", ""), ("README.md", "")],
        &["error: no migrations found: add a file such as `0001_init.sql`"],
    );
    check(
        &[] as &[(&str, &str)],
        &["error: no migrations found: add a file such as `0001_init.sql`"],
    );
}

#[test]
fn subdirectories_are_rejected() {
    check(
        &[("0001_a.sql", "SELECT 1;"), ("old/", "")],
        &[&subdirectory("old")],
    );
    // Even one named like a migration.
    check(
        &[("0001_a.sql", "SELECT 1;"), ("0002_b.sql/", "")],
        &[&subdirectory("0002_b.sql")],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    check(
        &[
            ("0001_init.sql", "CREATE TABLE a (x);"),
            ("001_dup.sql", "SELECT 1;"),
            ("0003_empty.sql", "  -- TODO\n"),
            ("0004_vacuum.sql", "SELECT 1;\nVACUUM;"),
            ("0005_bad name.sql", "SELECT 1;"),
            ("0006_quote.sql", "SELECT 'x;"),
            ("0007_orphan.down.sql", "SELECT 1;"),
            ("0008_last.sql", "SELECT 1;"),
            ("nested/", ""),
        ],
        &[
            &bad_name(
                "0005_bad name.sql",
                "the description contains ' '; only `A-Z a-z 0-9 _ -` are allowed",
            ),
            &subdirectory("nested"),
            "error: duplicate migration version 1: `0001_init.sql` and `001_dup.sql`",
            "error: gap in migration versions: `0001_init.sql` is followed by `0003_empty.sql` (2 is missing)",
            "error: gap in migration versions: `0006_quote.sql` is followed by `0008_last.sql` (7 is missing)",
            &no_statements("0003_empty.sql"),
            &not_in_transaction("0004_vacuum.sql", 2, "VACUUM"),
            "error: `0006_quote.sql` line 1: `'` opened here is never closed",
            "error: `0007_orphan.down.sql` has no matching up migration: expected `0007_orphan.sql` beside it",
        ],
    );
}

fn subdirectory(name: &str) -> String {
    format!(
        "error: `{name}` is a subdirectory: migrations must be `.sql` files directly in the \
         migrations directory"
    )
}

#[test]
fn every_problem_is_reported_at_once_with_bytes() {
    check(
        &[
            ("1_a.sql", b"SELECT 1;" as &[u8]),
            ("2_b.sql", b"\xff"),
            ("3_c.sql", b""),
            ("3_c.down.sql", b"SELECT 1;"),
            ("4_d.down.sql", b"SELECT 1;"),
        ],
        &[
            "error: `2_b.sql` is not valid UTF-8 (first invalid byte on line 1)",
            &no_statements("3_c.sql"),
            "error: `4_d.down.sql` has no matching up migration: expected `4_d.sql` beside it",
        ],
    );
}

#[test]
fn scripts_hold_normalized_sql_and_its_checksum() {
    let set = MigrationSet::from_entries([
        Entry::file("1_a.sql", "\u{feff}CREATE TABLE a (x);\r\nSELECT 1;\r\n"),
        Entry::file("1_a.down.sql", "DROP TABLE a;\r\n"),
    ])
    .unwrap();
    let m = &set.migrations()[0];
    assert_eq!(m.up.sql, "CREATE TABLE a (x);\nSELECT 1;\n");
    assert_eq!(
        m.up.checksum,
        migrate_rules::Checksum::of_sql(b"CREATE TABLE a (x);\nSELECT 1;\n")
    );
    assert_eq!(m.down.as_ref().unwrap().sql, "DROP TABLE a;\n");
    assert_eq!(m.up.statements[1].line, 2);
    assert_eq!(set.files(), ["1_a.down.sql", "1_a.sql"]);
    assert_eq!(
        set.history_checksum(),
        migrate_rules::Checksum::history([&m.up.checksum]).unwrap()
    );
}

#[test]
fn the_checksum_is_of_the_file_normalized_once() {
    // Normalizing `\r\r\n` gives `\r\n`; the checksum must not normalize that again, or it would
    // differ from `Checksum::of_sql` of the file's bytes.
    for raw in [
        &b"SELECT 1;\r\r\n"[..],
        // (Two marks, which normalizing would also turn into one, are refused since the
        // second one is a stray character.)
        b"\xEF\xBB\xBFSELECT 1;\r\r\n",
    ] {
        let set = MigrationSet::from_entries([Entry::file("1_a.sql", raw)]).unwrap();
        let up = &set.migrations()[0].up;
        assert_eq!(up.checksum, migrate_rules::Checksum::of_sql(raw));
        assert_eq!(
            up.checksum,
            migrate_rules::Checksum::digest(up.sql.as_bytes())
        );
    }
}

// Reading a directory: the errors that only a file system can produce.

fn from_dir_errors(dir: &Path) -> Vec<String> {
    match MigrationSet::from_dir(dir) {
        Ok(set) => panic!("expected errors, got {set:?}"),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_missing_directory_is_reported_with_its_absolute_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    assert!(dir.is_absolute());
    assert_eq!(
        from_dir_errors(&dir),
        [format!(
            "migrations directory `{}` does not exist",
            dir.display()
        )]
    );
}

#[test]
fn a_path_that_is_not_a_directory_is_reported_with_its_absolute_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("0001_a.sql");
    fs::write(&file, "SELECT 1;").unwrap();
    assert_eq!(
        from_dir_errors(&file),
        [format!(
            "migrations path `{}` is not a directory",
            file.display()
        )]
    );
}

#[test]
fn an_empty_directory_is_reported_with_its_absolute_path() {
    let tmp = tempfile::tempdir().unwrap();
    let expected = [format!(
        "no migrations found in `{}`: add a file such as `0001_init.sql`",
        tmp.path().display()
    )];
    assert_eq!(from_dir_errors(tmp.path()), expected);
    fs::write(tmp.path().join(".gitkeep"), "").unwrap();
    fs::write(tmp.path().join("README.md"), "").unwrap();
    assert_eq!(from_dir_errors(tmp.path()), expected);
}

#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_is_reported() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("0001_a.sql"), "SELECT 1;").unwrap();
    fs::write(
        tmp.path().join(OsStr::from_bytes(b"0002_\xff.sql")),
        "SELECT 1;",
    )
    .unwrap();
    // Ignored either way: not `.sql`.
    fs::write(tmp.path().join(OsStr::from_bytes(b"\xff.txt")), "").unwrap();
    assert_eq!(
        from_dir_errors(tmp.path()),
        ["`0002_\u{fffd}.sql` has a file name that is not valid UTF-8"]
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared.sql.txt");
    fs::write(&shared, "SELECT 1;").unwrap();
    let dir = tmp.path().join("migrations");
    fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&shared, dir.join("0001_a.sql")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), dir.join("0002_loop")).unwrap();
    assert_eq!(
        from_dir_errors(&dir),
        [
            "`0002_loop` is a subdirectory: migrations must be `.sql` files directly in the migrations directory"
        ]
    );
    fs::remove_file(dir.join("0002_loop")).unwrap();
    let set = MigrationSet::from_dir(&dir).unwrap();
    assert_eq!(set.migrations()[0].up.sql, "SELECT 1;");
}
