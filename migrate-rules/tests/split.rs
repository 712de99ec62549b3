//! The statement splitter, table-driven: a script and the statements it must give, each as
//! `(line, text)`.

use migrate_rules::split::{Split, Unterminated, skip_trivia, split, transaction_conflict};

/// Checks that `script` splits into exactly `expected` (`(line, text)` per statement), with no
/// unterminated quote, and that the spans partition the script.
#[track_caller]
fn check(script: &str, expected: &[(u32, &str)]) {
    let result = check_split(script);
    assert_eq!(result.unterminated, None, "{script:?}");
    let actual: Vec<(u32, &str)> = result
        .statements
        .iter()
        .map(|s| (s.line, s.text(script)))
        .collect();
    assert_eq!(actual, expected, "script: {script:?}");
}

/// Splits and checks the invariants every result must satisfy.
#[track_caller]
fn check_split(script: &str) -> Split {
    let result = split(script);
    let mut at = 0;
    for s in &result.statements {
        assert_eq!(s.span.start, at, "spans must be contiguous: {script:?}");
        assert!(s.span.start <= s.start && s.start < s.end && s.end <= s.span.end);
        assert_eq!(s.span.start + skip_trivia(&script[s.span.clone()]), s.start);
        at = s.span.end;
    }
    if !result.statements.is_empty() {
        assert_eq!(at, script.len(), "spans must cover the script: {script:?}");
    }
    result
}

#[test]
fn one_statement_per_semicolon() {
    check("SELECT 1;", &[(1, "SELECT 1;")]);
    check(
        "SELECT 1; SELECT 2;\nSELECT 3;",
        &[(1, "SELECT 1;"), (1, "SELECT 2;"), (2, "SELECT 3;")],
    );
    check("", &[]);
    check(" \n\t\r\n", &[]);
}

#[test]
fn the_last_statement_needs_no_semicolon() {
    check("SELECT 1", &[(1, "SELECT 1")]);
    check(
        "SELECT 1;\nSELECT 2\n\n-- trailing comment\n",
        &[(1, "SELECT 1;"), (2, "SELECT 2")],
    );
}

#[test]
fn empty_statements_are_skipped() {
    check(";;;", &[]);
    check(
        ";\n; SELECT 1;;\n;SELECT 2",
        &[(2, "SELECT 1;"), (3, "SELECT 2")],
    );
}

#[test]
fn semicolons_in_strings_do_not_split() {
    check(
        "INSERT INTO t VALUES ('a;b'); SELECT 2;",
        &[(1, "INSERT INTO t VALUES ('a;b');"), (1, "SELECT 2;")],
    );
    // A doubled quote is a quote, not the end of the string.
    check(
        "SELECT 'it''s; fine'; SELECT '';",
        &[(1, "SELECT 'it''s; fine';"), (1, "SELECT '';")],
    );
    // Strings span lines; the next statement's line counts them.
    check(
        "SELECT 'a\n;\nb';\nSELECT 2;",
        &[(1, "SELECT 'a\n;\nb';"), (4, "SELECT 2;")],
    );
}

#[test]
fn semicolons_in_quoted_identifiers_do_not_split() {
    check(
        "CREATE TABLE \"a;b\" (\"c\"\"d;\" TEXT); SELECT 1;",
        &[
            (1, "CREATE TABLE \"a;b\" (\"c\"\"d;\" TEXT);"),
            (1, "SELECT 1;"),
        ],
    );
    check(
        "CREATE TABLE `a;b` (`c``;` TEXT); SELECT 1;",
        &[(1, "CREATE TABLE `a;b` (`c``;` TEXT);"), (1, "SELECT 1;")],
    );
    check(
        "CREATE TABLE [a;b] ([c;'] TEXT); SELECT 1;",
        &[(1, "CREATE TABLE [a;b] ([c;'] TEXT);"), (1, "SELECT 1;")],
    );
    // Brackets do not double: `]]` closes and then is punctuation.
    check(
        "SELECT [a]]; SELECT 2;",
        &[(1, "SELECT [a]];"), (1, "SELECT 2;")],
    );
    // One kind of quote inside another is plain text.
    check(
        "SELECT '\"', \"'\", `'\"`, ['\"`]; SELECT 2;",
        &[(1, "SELECT '\"', \"'\", `'\"`, ['\"`];"), (1, "SELECT 2;")],
    );
}

#[test]
fn semicolons_in_comments_do_not_split() {
    check(
        "SELECT 1 -- a; b\n; SELECT 2;",
        &[(1, "SELECT 1 -- a; b\n;"), (2, "SELECT 2;")],
    );
    check(
        "SELECT /* ; */ 1; /* ;\n; */ SELECT 2;",
        &[(1, "SELECT /* ; */ 1;"), (2, "SELECT 2;")],
    );
    // A comment does not nest, and `--` inside a string is not a comment.
    check(
        "SELECT /* /* */ 1; SELECT '--;', '/*;';",
        &[(1, "SELECT /* /* */ 1;"), (1, "SELECT '--;', '/*;';")],
    );
    // A block comment may stay open at the end, as SQLite allows.
    check("SELECT 1; /* ; never closed", &[(1, "SELECT 1;")]);
    check("SELECT 1; /**", &[(1, "SELECT 1;")]);
    // But a `/*` that ends the input is `/` and `*` to SQLite's tokenizer (found by the fuzz
    // family's oracle): a statement, which fails when it runs instead of being dropped.
    check("SELECT 1;\n/*", &[(1, "SELECT 1;"), (2, "/*")]);
    // A single `-` or `/` is an operator.
    check("SELECT 2 - 1 / 1;", &[(1, "SELECT 2 - 1 / 1;")]);
}

#[test]
fn trigger_bodies_are_one_statement() {
    let trigger = "CREATE TRIGGER log AFTER INSERT ON t BEGIN\n  \
                   INSERT INTO log VALUES (new.x);\n  \
                   UPDATE c SET n = n + 1;\n\
                   END;";
    check(
        &format!("{trigger}\nSELECT 1;"),
        &[(1, trigger), (5, "SELECT 1;")],
    );
    for create in [
        "create trigger",
        "CREATE TEMP TRIGGER",
        "CREATE TEMPORARY TRIGGER",
        "CREATE TRIGGER IF NOT EXISTS",
        "CREATE /* c */ Temp\nTrigger",
    ] {
        let trigger = format!("{create} tr BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END;");
        check(
            &format!("{trigger} SELECT 3;"),
            &[
                (1, &trigger),
                (1 + create.matches('\n').count() as u32, "SELECT 3;"),
            ],
        );
    }
}

#[test]
fn end_inside_a_trigger_body_is_not_the_end_of_the_trigger() {
    // `CASE ... END` inside a trigger statement.
    let trigger = "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN \
                   UPDATE t SET x = CASE WHEN new.y THEN 1 ELSE 2 END; \
                   SELECT CASE new.x WHEN 1 THEN 'a;' END; \
                   END;";
    check(
        &format!("{trigger} SELECT 3;"),
        &[(1, trigger), (1, "SELECT 3;")],
    );
    // A column named `end` after a `;` inside the body.
    let trigger = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN \
                   SELECT 1; \"END\"; END;";
    check(trigger, &[(1, trigger)]);
    // `END` followed by something other than `;` keeps the body open.
    let trigger = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END x; END;";
    check(trigger, &[(1, trigger)]);
}

#[test]
fn create_without_trigger_is_an_ordinary_statement() {
    check(
        "CREATE TABLE trigger (x); CREATE TEMP TABLE t (begin, end); SELECT 1;",
        &[
            (1, "CREATE TABLE trigger (x);"),
            (1, "CREATE TEMP TABLE t (begin, end);"),
            (1, "SELECT 1;"),
        ],
    );
    // `TRIGGER` later in an ordinary statement does not start a body.
    check(
        "SELECT trigger FROM t; SELECT 2;",
        &[(1, "SELECT trigger FROM t;"), (1, "SELECT 2;")],
    );
    check(
        "CREATE VIEW v AS SELECT 1 AS trigger; SELECT 2;",
        &[
            (1, "CREATE VIEW v AS SELECT 1 AS trigger;"),
            (1, "SELECT 2;"),
        ],
    );
    // EXPLAIN in front of a trigger definition, as in `sqlite3_complete()`.
    let explained = "EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;";
    check(explained, &[(1, explained)]);
    // A run of identifier characters is one word, as in `sqlite3_complete()`: `9CREATE` and
    // `$CREATE` are not `CREATE`.
    for word in ["9CREATE", "$CREATE"] {
        let first = format!("EXPLAIN {word} TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;");
        check(
            &format!("{first} END;"),
            &[(1, first.as_str()), (1, "END;")],
        );
    }
}

#[test]
fn statement_lines_are_the_line_of_the_first_token() {
    let script = "-- header\n\nCREATE TABLE a (\n  x\n);\n/* multi\nline */ CREATE INDEX i ON a (x);\n\n\n  \
                  INSERT INTO a\nVALUES (1);";
    check(
        script,
        &[
            (3, "CREATE TABLE a (\n  x\n);"),
            (7, "CREATE INDEX i ON a (x);"),
            (10, "INSERT INTO a\nVALUES (1);"),
        ],
    );
    // CR alone is not a line break; CRLF counts once.
    check(
        "SELECT 1;\r\nSELECT 2;\rSELECT 3;",
        &[(1, "SELECT 1;"), (2, "SELECT 2;"), (2, "SELECT 3;")],
    );
}

#[test]
fn non_ascii_text_is_split_on_character_boundaries() {
    check(
        "INSERT INTO café VALUES ('naïve; ☕'); SELECT \"é;\"; SELECT 1 ≠ 2;",
        &[
            (1, "INSERT INTO café VALUES ('naïve; ☕');"),
            (1, "SELECT \"é;\";"),
            (1, "SELECT 1 ≠ 2;"),
        ],
    );
    check("—;é", &[(1, "—;"), (1, "é")]);
}

#[test]
fn an_unterminated_quote_is_reported_with_its_line() {
    for (script, quote, line, texts) in [
        (
            "SELECT 'abc; SELECT 2;",
            '\'',
            1,
            &["SELECT 'abc; SELECT 2;"][..],
        ),
        (
            "SELECT 1;\nSELECT \"x;",
            '"',
            2,
            &["SELECT 1;", "SELECT \"x;"],
        ),
        ("SELECT 1;\n\n`", '`', 3, &["SELECT 1;", "`"]),
        ("SELECT [x", '[', 1, &["SELECT [x"]),
        ("SELECT 'it''", '\'', 1, &["SELECT 'it''"]),
    ] {
        let result = check_split(script);
        assert_eq!(
            result.unterminated,
            Some(Unterminated { quote, line }),
            "{script:?}"
        );
        let actual: Vec<&str> = result.statements.iter().map(|s| s.text(script)).collect();
        assert_eq!(actual, texts, "{script:?}");
    }
    // Only the first one.
    let result = split("SELECT 'a\n");
    assert_eq!(result.unterminated.unwrap().line, 1);
}

#[test]
fn spans_cover_leading_and_trailing_trivia() {
    let script = "  -- lead\n;SELECT 1; -- mid\n SELECT 2 ; ; -- tail\n";
    let result = check_split(script);
    let spans: Vec<&str> = result
        .statements
        .iter()
        .map(|s| &script[s.span.clone()])
        .collect();
    // A trailing empty statement and comment belong to the last statement's span.
    assert_eq!(
        spans,
        ["  -- lead\n;SELECT 1;", " -- mid\n SELECT 2 ; ; -- tail\n"]
    );
    let texts: Vec<&str> = result.statements.iter().map(|s| s.text(script)).collect();
    assert_eq!(texts, ["SELECT 1;", "SELECT 2 ;"]);
}

#[test]
fn skip_trivia_finds_the_first_token() {
    for (text, expected) in [
        ("SELECT 1;", 0),
        ("  SELECT", 2),
        ("-- c\nSELECT", 5),
        ("/* c */SELECT", 7),
        ("; ;\nSELECT", 4),
        ("'x'", 0),
        ("", 0),
        ("  -- only trivia", 16),
        ("/* open", 7),
    ] {
        assert_eq!(skip_trivia(text), expected, "{text:?}");
    }
}

#[test]
fn transaction_conflicts_name_the_statement() {
    for (statement, expected) in [
        ("BEGIN", Some("BEGIN")),
        ("begin deferred", Some("BEGIN")),
        ("Commit Transaction", Some("COMMIT")),
        ("END", Some("END")),
        ("ROLLBACK TO sp", Some("ROLLBACK")),
        ("SAVEPOINT sp", Some("SAVEPOINT")),
        ("RELEASE SAVEPOINT sp", Some("RELEASE")),
        ("VACUUM INTO 'x.db'", Some("VACUUM")),
        ("ATTACH 'x.db' AS x", Some("ATTACH")),
        ("DETACH x", Some("DETACH")),
        ("PRAGMA foreign_keys = ON", Some("PRAGMA foreign_keys")),
        ("PRAGMA Foreign_Keys", Some("PRAGMA foreign_keys")),
        (
            "PRAGMA main . journal_mode = DELETE",
            Some("PRAGMA journal_mode"),
        ),
        ("PRAGMA [journal_mode]", Some("PRAGMA journal_mode")),
        ("PRAGMA `foreign_keys`=1", Some("PRAGMA foreign_keys")),
        ("/* c */ -- d\n VACUUM", Some("VACUUM")),
        ("PRAGMA user_version = 1", None),
        ("PRAGMA foreign_key_list(t)", None),
        ("PRAGMA", None),
        ("PRAGMA main.", None),
        ("CREATE TABLE vacuum (x)", None),
        ("SELECT 'BEGIN'", None),
        ("\"BEGIN\"", None),
        ("", None),
        (
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END",
            None,
        ),
    ] {
        assert_eq!(
            transaction_conflict(statement).map(|c| c.as_str()),
            expected,
            "{statement:?}"
        );
    }
}
