//! Bad input at compile time: malformed migration directories, each embedded by one `static`
//! of one generated fixture crate, built once. Every directory must produce a compile error at
//! its own line in which one message names the offending file and gives the reason (a fragment
//! of the real message, e.g. "the version must be at least 1"); the macro must never panic. A
//! second crate, with the `verify` feature, embeds well-formed directories that fail when the
//! compiler runs them (SQL errors, down files, foreign keys, the sandbox, the time budget, the
//! snapshot). The control directories (the same characters or statements where they are
//! allowed) are embedded in crates of their own, with and without `verify`, which must build.

use std::collections::BTreeMap;
use std::process::Command;

use migrate_test_kit::fixture;

use crate::common::{Ctx, Tally, s};

/// One migration directory: malformed, or a control that must compile.
struct Case {
    name: &'static str,
    /// Files to create: (relative path, contents). A path ending in `/` is a directory.
    files: Vec<(String, Vec<u8>)>,
    /// How the macro's argument relates to the directory.
    layout: Layout,
    /// What the errors must say: per pair, one and the same message names the file (in
    /// backticks, alone or ending a path) and contains the reason fragment, taken from the
    /// real message. Empty for a control directory, which must compile.
    expect: Vec<(String, &'static str)>,
}

impl Case {
    fn is_control(&self) -> bool {
        self.expect.is_empty()
    }
}

#[derive(PartialEq)]
enum Layout {
    Dir,
    Missing,
    PlainFile,
    /// A directory embedded with `verify, schema = "<dir>/schema.sql"` (verify cases only).
    Snapshot,
}

fn f(name: &str, contents: &str) -> (String, Vec<u8>) {
    (name.to_owned(), contents.as_bytes().to_vec())
}

fn ok1() -> (String, Vec<u8>) {
    f("0001_init.sql", "CREATE TABLE t (x);\n")
}

/// A directory refused with one message that names each of `names` (`|`-separated) and
/// says `reason`.
fn case(
    name: &'static str,
    files: Vec<(String, Vec<u8>)>,
    names: &str,
    reason: &'static str,
) -> Case {
    let expect = names.split('|').map(|n| (n.to_owned(), reason)).collect();
    case_many(name, files, &[]).with(expect)
}

/// A directory refused with, per (file, reason) pair, a message that names the file and says
/// the reason.
fn case_many(
    name: &'static str,
    files: Vec<(String, Vec<u8>)>,
    expect: &[(&str, &'static str)],
) -> Case {
    Case {
        name,
        files,
        layout: Layout::Dir,
        expect: expect.iter().map(|&(f, r)| (f.to_owned(), r)).collect(),
    }
}

/// A control directory: built in a crate of its own, which must compile.
fn control(name: &'static str, files: Vec<(String, Vec<u8>)>) -> Case {
    case_many(name, files, &[])
}

impl Case {
    fn with(self, expect: Vec<(String, &'static str)>) -> Case {
        Case { expect, ..self }
    }
}

fn cases() -> Vec<Case> {
    let bad_name = |file: &str| vec![ok1(), f(file, "SELECT 1;\n")];
    vec![
        // The control: a valid directory, which must compile.
        control(
            "valid_control",
            vec![
                ok1(),
                f("0001_init.down.sql", "DROP TABLE t;\n"),
                f("0002_outside.sql", "-- migrate:no-transaction\nVACUUM;\n"),
                f("README.md", "not a migration"),
                f(".0003_hidden.sql", "not a migration either"),
            ],
        ),
        Case {
            name: "empty_dir",
            files: vec![],
            layout: Layout::Dir,
            expect: vec![("empty_dir".to_owned(), "no migrations found in")],
        },
        Case {
            name: "missing_dir",
            files: vec![],
            layout: Layout::Missing,
            expect: vec![("missing_dir".to_owned(), "does not exist")],
        },
        Case {
            name: "plain_file",
            files: vec![],
            layout: Layout::PlainFile,
            expect: vec![("plain_file".to_owned(), "is not a directory")],
        },
        case(
            "only_readme",
            vec![f("README.md", "# notes\n")],
            "only_readme",
            "no migrations found in",
        ),
        case(
            "no_separator",
            bad_name("0002init.sql"),
            "0002init.sql",
            "no `_` between version and description",
        ),
        case(
            "version_not_decimal",
            bad_name("2x_add.sql"),
            "2x_add.sql",
            "the version `2x` is not a decimal number",
        ),
        case(
            "version_empty",
            bad_name("_add.sql"),
            "_add.sql",
            "the version is empty",
        ),
        case(
            "version_negative",
            bad_name("-2_add.sql"),
            "-2_add.sql",
            "the version `-2` is not a decimal number",
        ),
        case(
            "version_zero",
            bad_name("0000_add.sql"),
            "0000_add.sql",
            "the version must be at least 1",
        ),
        case(
            "version_too_large",
            bad_name("99999999999999999999_big.sql"),
            "99999999999999999999_big.sql",
            "is larger than 9223372036854775807",
        ),
        case(
            "empty_description",
            bad_name("0002_.sql"),
            "0002_.sql",
            "the description is empty",
        ),
        case(
            "description_space",
            bad_name("0002_add orders.sql"),
            "0002_add orders.sql",
            "the description contains ' '",
        ),
        case(
            "description_dot",
            bad_name("0002_add.orders.sql"),
            "0002_add.orders.sql",
            "the description contains '.'",
        ),
        case(
            "description_unicode",
            bad_name("0002_café.sql"),
            "0002_café.sql",
            "the description contains 'é'",
        ),
        case(
            "double_down",
            bad_name("0001_init.down.down.sql"),
            "0001_init.down.down.sql",
            "the description contains '.'",
        ),
        case(
            "duplicate_version",
            vec![
                ok1(),
                f("0002_a.sql", "SELECT 1;"),
                f("002_b.sql", "SELECT 2;"),
            ],
            "002_b.sql",
            "duplicate migration version 2",
        ),
        case(
            "duplicate_leading_zeros",
            vec![ok1(), f("1_init.sql", "SELECT 1;")],
            "0001_init.sql|1_init.sql",
            "duplicate migration version 1",
        ),
        case(
            "gap",
            vec![ok1(), f("0003_c.sql", "SELECT 3;")],
            "0003_c.sql",
            "is followed by `0003_c.sql` (2 is missing)",
        ),
        case(
            "starts_at_2",
            vec![f("0002_b.sql", "SELECT 2;")],
            "0002_b.sql",
            "versions start at 1 but the first migration is",
        ),
        case(
            "down_without_up",
            vec![ok1(), f("0002_x.down.sql", "SELECT 1;")],
            "0002_x.down.sql",
            "has no matching up migration",
        ),
        case(
            "down_other_description",
            vec![ok1(), f("0001_other.down.sql", "DROP TABLE t;")],
            "0001_other.down.sql",
            "has no matching up migration",
        ),
        case(
            "not_utf8",
            vec![
                ok1(),
                (
                    "0002_latin1.sql".to_owned(),
                    b"SELECT '\xe9t\xe9';\n".to_vec(),
                ),
            ],
            "0002_latin1.sql",
            "is not valid UTF-8",
        ),
        case(
            "down_not_utf8",
            vec![
                ok1(),
                (
                    "0001_init.down.sql".to_owned(),
                    b"-- \xff\nDROP TABLE t;\n".to_vec(),
                ),
            ],
            "0001_init.down.sql",
            "is not valid UTF-8",
        ),
        // Characters SQLite cannot take where they stand: refused with their line and column.
        case(
            "nul_byte",
            vec![ok1(), f("0002_nul.sql", "SELECT 1;\nSELECT 2;\0\n")],
            "0002_nul.sql",
            "line 2, column 10: a NUL byte",
        ),
        case(
            "nul_in_string",
            vec![ok1(), f("0002_nul.sql", "INSERT INTO t VALUES ('a\0b');\n")],
            "0002_nul.sql",
            "line 1, column 25: a NUL byte",
        ),
        case(
            "utf16_file",
            vec![
                ok1(),
                (
                    "0002_utf16.sql".to_owned(),
                    b"S\0E\0L\0E\0C\0T\0 \x001\0;\0".to_vec(),
                ),
            ],
            "0002_utf16.sql",
            "line 1, column 2: a NUL byte",
        ),
        case(
            "nul_in_down",
            vec![ok1(), f("0001_init.down.sql", "DROP TABLE t;\0")],
            "0001_init.down.sql",
            "line 1, column 14: a NUL byte",
        ),
        case(
            "control_character",
            vec![
                ok1(),
                f(
                    "0002_ctrl.sql",
                    "SELECT 1;\n\nINSERT INTO t\u{1} VALUES (1);\n",
                ),
            ],
            "0002_ctrl.sql",
            "line 3, column 14: the control character 0x01",
        ),
        case(
            "escape_character",
            vec![ok1(), f("0002_esc.sql", "\u{1b}[0mCREATE TABLE u (x);\n")],
            "0002_esc.sql",
            "line 1, column 1: the control character 0x1b",
        ),
        case(
            "delete_character",
            vec![ok1(), f("0002_del.sql", "CREATE TABLE u (x\u{7f});\n")],
            "0002_del.sql",
            "line 1, column 18: the control character 0x7f",
        ),
        case(
            "vertical_tab",
            vec![ok1(), f("0002_vt.sql", "CREATE TABLE u\u{b}(x);\n")],
            "0002_vt.sql",
            "line 1, column 15: the control character 0x0b",
        ),
        case(
            "byte_order_mark_mid_file",
            vec![
                ok1(),
                f(
                    "0002_joined.sql",
                    "\u{feff}CREATE TABLE u (x);\n\u{feff}CREATE TRIGGER u_t AFTER INSERT ON u \
                     BEGIN INSERT INTO t VALUES (1); END;\n",
                ),
            ],
            "0002_joined.sql",
            "line 2, column 1: a byte-order mark",
        ),
        case(
            "byte_order_mark_in_name",
            vec![ok1(), f("0002_name.sql", "CREATE TABLE u\u{feff}v (x);\n")],
            "0002_name.sql",
            "line 1, column 15: a byte-order mark",
        ),
        // The control: the same characters where SQLite takes them (a leading mark, strings,
        // quoted identifiers, comments) compile.
        control(
            "control_characters_allowed",
            vec![
                ok1(),
                f(
                    "0002_data.sql",
                    "\u{feff}-- \u{1} \u{feff}\nCREATE TABLE \"u\u{1b}\" (x);\n\
                     INSERT INTO t VALUES ('\u{1}\u{7f}\u{feff}'); /* \u{b} */\n",
                ),
            ],
        ),
        case(
            "only_comments",
            vec![
                ok1(),
                f("0002_nothing.sql", "-- nothing yet\n/* still nothing */\n"),
            ],
            "0002_nothing.sql",
            "contains no SQL statement",
        ),
        case(
            "only_whitespace",
            vec![ok1(), f("0002_blank.sql", "\n  \n\t\n")],
            "0002_blank.sql",
            "contains no SQL statement",
        ),
        case(
            "only_semicolons",
            vec![ok1(), f("0002_semis.sql", ";;\n;\n")],
            "0002_semis.sql",
            "contains no SQL statement",
        ),
        case(
            "empty_file",
            vec![ok1(), f("0002_empty.sql", "")],
            "0002_empty.sql",
            "contains no SQL statement",
        ),
        case(
            "down_empty",
            vec![ok1(), f("0001_init.down.sql", "-- todo\n")],
            "0001_init.down.sql",
            "contains no SQL statement",
        ),
        case(
            "unterminated_string",
            vec![ok1(), f("0002_quote.sql", "INSERT INTO t VALUES ('abc);\n")],
            "0002_quote.sql",
            "line 1: `'` opened here is never closed",
        ),
        case(
            "unterminated_identifier",
            vec![ok1(), f("0002_ident.sql", "CREATE TABLE \"t2 (x);\n")],
            "0002_ident.sql",
            "line 1: `\"` opened here is never closed",
        ),
        case(
            "unterminated_backtick",
            vec![ok1(), f("0002_tick.sql", "CREATE TABLE `t2 (x);\n")],
            "0002_tick.sql",
            "line 1: ``` opened here is never closed",
        ),
        case(
            "unterminated_bracket",
            vec![ok1(), f("0002_bracket.sql", "CREATE TABLE [t2 (x);\n")],
            "0002_bracket.sql",
            "line 1: `[` opened here is never closed",
        ),
        case(
            "unterminated_in_down",
            vec![ok1(), f("0001_init.down.sql", "DROP TABLE 't;\n")],
            "0001_init.down.sql",
            "line 1: `'` opened here is never closed",
        ),
        case(
            "vacuum_in_transaction",
            vec![ok1(), f("0002_vacuum.sql", "DELETE FROM t;\nVACUUM;\n")],
            "0002_vacuum.sql",
            "line 2: `VACUUM` cannot run inside a transaction",
        ),
        case_many(
            "begin_in_transaction",
            vec![
                ok1(),
                f(
                    "0002_begin.sql",
                    "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n",
                ),
            ],
            &[
                ("0002_begin.sql", "line 1: remove `BEGIN`"),
                ("0002_begin.sql", "line 3: remove `COMMIT`"),
            ],
        ),
        case(
            "journal_mode_in_transaction",
            vec![ok1(), f("0002_wal.sql", "PRAGMA journal_mode = WAL;\n")],
            "0002_wal.sql",
            "line 1: `PRAGMA journal_mode` cannot run inside a transaction",
        ),
        case(
            "foreign_keys_pragma",
            vec![ok1(), f("0002_fk.sql", "PRAGMA main.foreign_keys = ON;\n")],
            "0002_fk.sql",
            "line 1: remove `PRAGMA foreign_keys`",
        ),
        case(
            "attach_in_transaction",
            vec![ok1(), f("0002_attach.sql", "ATTACH 'other.db' AS other;\n")],
            "0002_attach.sql",
            "line 1: `ATTACH` cannot run inside a transaction",
        ),
        case(
            "directive_not_first_line",
            vec![
                ok1(),
                f(
                    "0002_late.sql",
                    "SELECT 1;\n-- migrate:no-transaction\nVACUUM;\n",
                ),
            ],
            "0002_late.sql",
            "line 3: `VACUUM` cannot run inside a transaction",
        ),
        case(
            "subdirectory",
            vec![ok1(), ("nested/".to_owned(), Vec::new())],
            "nested",
            "is a subdirectory",
        ),
        case_many(
            "several_problems",
            vec![ok1(), f("0003_c.sql", "SELECT 3;"), f("0004_d.sql", "")],
            &[
                ("0003_c.sql", "gap in migration versions"),
                ("0004_d.sql", "contains no SQL statement"),
            ],
        ),
    ]
}

/// Directories whose names and numbering are valid but that fail when the compiler runs them
/// (`embed_migrations!(..., verify)`): the error must name the file that failed.
fn verify_cases() -> Vec<Case> {
    let users = || {
        f(
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
        )
    };
    vec![
        // The control: a table rebuild undone by its down file, a no-transaction migration.
        control(
            "verify_valid_control",
            vec![
                users(),
                f(
                    "0002_rebuild.sql",
                    "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n\
                     INSERT INTO users_new (id, name) SELECT id, name FROM users;\n\
                     DROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
                ),
                f(
                    "0002_rebuild.down.sql",
                    "CREATE TABLE users_old(id  INTEGER PRIMARY KEY,name TEXT);\n\
                     INSERT INTO users_old SELECT id, name FROM users;\n\
                     DROP TABLE users;\nALTER TABLE users_old RENAME TO users;\n",
                ),
                f("0003_vacuum.sql", "-- migrate:no-transaction\nVACUUM;\n"),
            ],
        ),
        case(
            "verify_sql_error",
            vec![
                users(),
                f(
                    "0002_index.sql",
                    "CREATE INDEX users_name ON userz (name);\n",
                ),
            ],
            "0002_index.sql",
            "fails at statement 1 (line 1): no such table: main.userz",
        ),
        case_many(
            "verify_two_failures",
            vec![
                users(),
                f("0002_a.sql", "INSERT INTO nowhere VALUES (1);\n"),
                f("0003_b.sql", "ALTER TABLE users ADD COLUMN id INTEGER;\n"),
            ],
            &[
                (
                    "0002_a.sql",
                    "fails at statement 1 (line 1): no such table: nowhere",
                ),
                (
                    "0003_b.sql",
                    "fails at statement 1 (line 1): duplicate column name: id",
                ),
            ],
        ),
        case(
            "verify_foreign_keys",
            vec![
                users(),
                f(
                    "0002_orders.sql",
                    "CREATE TABLE orders (user_id INTEGER REFERENCES users (id));\n\
                     INSERT INTO orders VALUES (42);\n",
                ),
            ],
            "0002_orders.sql",
            "leaves rows that violate foreign keys",
        ),
        case(
            "verify_down_leaves_index",
            vec![
                users(),
                f(
                    "0002_idx.sql",
                    "CREATE INDEX users_name ON users (name);\nCREATE TABLE t (x);\n",
                ),
                f("0002_idx.down.sql", "DROP TABLE t;\n"),
            ],
            "0002_idx.down.sql",
            "index `users_name` remains",
        ),
        case(
            "verify_down_leaves_column",
            vec![
                users(),
                f(
                    "0002_col.sql",
                    "ALTER TABLE users ADD COLUMN nickname TEXT;\n",
                ),
                f("0002_col.down.sql", "UPDATE users SET nickname = NULL;\n"),
            ],
            "0002_col.down.sql",
            "column `users.nickname` remains",
        ),
        case(
            "verify_down_leaves_trigger",
            vec![
                users(),
                f(
                    "0002_trg.sql",
                    "CREATE TABLE log (m TEXT);\nCREATE TRIGGER users_log AFTER INSERT ON users \
                     BEGIN INSERT INTO log VALUES (new.name); END;\n",
                ),
                f("0002_trg.down.sql", "DROP TABLE log;\n"),
            ],
            "0002_trg.down.sql",
            "trigger `users_log` remains",
        ),
        case(
            "verify_unknown_allowed_lint",
            vec![
                users(),
                f(
                    "0002_drop.sql",
                    "-- migrate:allow destroy\nDROP TABLE users;\n",
                ),
            ],
            "0002_drop.sql",
            "unknown lint `destroy`",
        ),
        case(
            "verify_attach_denied",
            vec![
                users(),
                f(
                    "0002_attach.sql",
                    "-- migrate:no-transaction\nATTACH DATABASE 'other.db' AS other;\n",
                ),
            ],
            "0002_attach.sql",
            "`ATTACH` is not allowed during verification",
        ),
        case(
            "verify_vacuum_into_denied",
            vec![
                users(),
                f(
                    "0002_copy.sql",
                    "-- migrate:no-transaction\nVACUUM INTO 'copy.db';\n",
                ),
            ],
            "0002_copy.sql",
            "`VACUUM INTO` is not allowed during verification",
        ),
        case(
            "verify_runaway_query",
            vec![
                users(),
                f(
                    "0002_forever.sql",
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) \
                     SELECT count(*) FROM n;\n",
                ),
            ],
            "0002_forever.sql",
            "did not finish within the verification budget",
        ),
        Case {
            name: "verify_snapshot_missing",
            files: vec![users()],
            layout: Layout::Snapshot,
            expect: vec![(
                "schema.sql".to_owned(),
                "does not exist: run `MIGRATE_BLESS=1 cargo build`",
            )],
        },
    ]
}

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    for verify in [false, true] {
        let seed = tally.next_seed();
        let all = if verify { verify_cases() } else { cases() };
        let (controls, malformed): (Vec<Case>, Vec<Case>) =
            all.into_iter().partition(Case::is_control);
        let refused = compile(ctx, &malformed, verify, false).and_then(|c| judge(&malformed, &c));
        let refused = match refused {
            Ok(results) => results,
            Err(e) => vec![Some(e); malformed.len()],
        };
        let compiled = match compile(ctx, &controls, verify, true) {
            Ok(c) if c.success => vec![None; controls.len()],
            Ok(c) => vec![
                Some(format!(
                    "the crate of the control directories did not compile:\n{}",
                    c.stderr
                ));
                controls.len()
            ],
            Err(e) => vec![Some(e); controls.len()],
        };
        let what = if verify {
            "verify failures"
        } else {
            "malformed directories"
        };
        println!(
            "  bad_input_compile: {} of {} {what} refused with their file and reason, {} of {} \
             control directories compiled in a crate of their own",
            refused.iter().filter(|r| r.is_none()).count(),
            malformed.len(),
            compiled.iter().filter(|r| r.is_none()).count(),
            controls.len(),
        );
        for (case, problem) in malformed
            .iter()
            .zip(refused)
            .chain(controls.iter().zip(compiled))
        {
            tally.record(&format!("directory `{}`", case.name), seed, problem);
        }
    }
}

/// The result of building a fixture crate.
struct Compiled {
    success: bool,
    stderr: String,
    /// The line of `src/main.rs` that embeds each case, to the case's index.
    line_of: BTreeMap<usize, usize>,
}

/// Builds a fixture crate that embeds each case by one `static` (the malformed ones, or with
/// `controls` the control directories, under a crate name of their own). With `verify`, the
/// crate has the feature and every case is embedded with `verify`, each migration's budget
/// being 2 s (`verify_runaway_query`).
fn compile(ctx: &Ctx, cases: &[Case], verify: bool, controls: bool) -> Result<Compiled, String> {
    let root = tempfile::tempdir().map_err(s)?;
    let dirs = root.path().join("dirs");
    std::fs::create_dir_all(&dirs).map_err(s)?;
    let krate = root.path().join("fixture");
    std::fs::create_dir_all(krate.join("src")).map_err(s)?;
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"reliability-compile-fixture{}{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{}\n\n[workspace]\n",
            if verify { "-verify" } else { "" },
            if controls { "-controls" } else { "" },
            fixture::runtime_dependency_with(&ctx.workspace, if verify { &["verify"] } else { &[] })
        ),
    )
    .map_err(s)?;
    fixture::copy_lock(&krate).map_err(s)?;
    let mut main =
        String::from("#![allow(dead_code)]\nuse migrate_runtime::Migrations;\n\nfn main() {}\n\n");
    let mut line_of = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = dirs.join(case.name);
        match case.layout {
            Layout::Missing => {}
            Layout::PlainFile => std::fs::write(&dir, "not a directory\n").map_err(s)?,
            Layout::Dir | Layout::Snapshot => {
                std::fs::create_dir_all(&dir).map_err(s)?;
                for (name, contents) in &case.files {
                    if let Some(sub) = name.strip_suffix('/') {
                        std::fs::create_dir_all(dir.join(sub)).map_err(s)?;
                        std::fs::write(dir.join(sub).join("0001_x.sql"), "SELECT 1;").map_err(s)?;
                    } else {
                        std::fs::write(dir.join(name), contents).map_err(s)?;
                    }
                }
            }
        }
        let line = main.lines().count() + 1;
        line_of.insert(line, i);
        let path = dir.display().to_string();
        let arguments = match (&case.layout, verify) {
            (Layout::Snapshot, _) => format!(
                "{path:?}, verify, schema = {:?}",
                dir.join("schema.sql").display().to_string()
            ),
            (_, true) => format!("{path:?}, verify"),
            (_, false) => format!("{path:?}"),
        };
        main.push_str(&format!(
            "static CASE_{i}: Migrations = migrate_runtime::embed_migrations!({arguments});\n"
        ));
    }
    std::fs::write(krate.join("src/main.rs"), &main).map_err(s)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .arg("build")
        .arg("--offline")
        .arg("--message-format=short")
        .arg("--manifest-path")
        .arg(krate.join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            ctx.workspace.join("target/fixture-builds"),
        )
        .env_remove("RUSTFLAGS")
        .env_remove("MIGRATE_BLESS")
        .env("MIGRATE_VERIFY_TIMEOUT_MS", "2000")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if stderr.contains("panicked") {
        return Err(format!("the macro panicked:\n{stderr}"));
    }
    Ok(Compiled {
        success: output.status.success(),
        stderr,
        line_of,
    })
}

/// Per malformed case, `None` when one of its errors names each offending file together with
/// the reason.
fn judge(cases: &[Case], compiled: &Compiled) -> Result<Vec<Option<String>>, String> {
    let stderr = &compiled.stderr;
    if compiled.success {
        return Err(format!("the fixture crate compiled: {stderr}"));
    }
    let errors = parse_errors(stderr);
    if errors.is_empty() {
        return Err(format!("no compile errors in src/main.rs:\n{stderr}"));
    }
    let mut results = vec![Vec::<String>::new(); cases.len()];
    for (line, message) in errors {
        match compiled.line_of.get(&line) {
            Some(&i) => results[i].push(message),
            None => {
                return Err(format!(
                    "an error at line {line} that no case owns: {message}"
                ));
            }
        }
    }
    if std::env::var_os("RELIABILITY_VERBOSE").is_some() {
        for (case, messages) in cases.iter().zip(&results) {
            println!("  {}: {}", case.name, messages.join(" | "));
        }
    }
    Ok(cases
        .iter()
        .zip(results)
        .map(|(case, messages)| {
            // One message names the file (in backticks, alone or ending a path) and says why.
            let met = |(file, reason): &(String, &str)| {
                messages.iter().any(|m| {
                    (m.contains(&format!("`{file}`")) || m.contains(&format!("/{file}`")))
                        && m.contains(reason)
                })
            };
            if messages.is_empty() {
                Some("no compile error".to_owned())
            } else if case.expect.iter().all(met) {
                None
            } else {
                let wanted: Vec<String> = case
                    .expect
                    .iter()
                    .map(|(file, reason)| format!("`{file}` with \"{reason}\""))
                    .collect();
                Some(format!(
                    "no single error names {}: {}",
                    wanted.join(", and "),
                    messages.join(" | ")
                ))
            }
        })
        .collect())
}

/// `src/main.rs:LINE:COL: error: MESSAGE` lines of `--message-format=short`, with
/// continuation lines of multi-line messages appended.
fn parse_errors(stderr: &str) -> Vec<(usize, String)> {
    let mut errors: Vec<(usize, String)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("src/main.rs:").or_else(|| {
            line.find("src/main.rs:")
                .map(|at| &line[at + "src/main.rs:".len()..])
        }) {
            let mut parts = rest.splitn(3, ':');
            let number = parts.next().and_then(|n| n.parse::<usize>().ok());
            let _col = parts.next();
            let message = parts.next().unwrap_or_default().trim();
            if let (Some(number), Some(message)) = (number, message.strip_prefix("error: ")) {
                errors.push((number, message.to_owned()));
                current = Some(errors.len() - 1);
                continue;
            }
            current = None;
        } else if line.starts_with("error") || line.starts_with("warning") {
            current = None;
        } else if let Some(i) = current {
            errors[i].1.push('\n');
            errors[i].1.push_str(line);
        }
    }
    errors
}
