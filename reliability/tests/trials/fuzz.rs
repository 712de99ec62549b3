//! Fuzzing: the file-name parser, the SQL splitter and set validation on random inputs biased
//! towards their syntax. No panic; the splitter's statement spans partition the input.

use migrate_rules::name::{parse_file_name, parse_version};
use migrate_rules::split::{skip_trivia, split};
use migrate_rules::{Entry, FileKind, MigrationSet};

use crate::common::{Ctx, Rng, Tally, panic_message};

const SQL_PIECES: &[&str] = &[
    ";",
    ";",
    ";",
    "'",
    "'",
    "\"",
    "`",
    "[",
    "]",
    "--",
    "/*",
    "*/",
    "\n",
    "\n",
    " ",
    " ",
    "\t",
    "\r\n",
    "BEGIN",
    "END",
    "end",
    "CREATE",
    "create",
    "TEMP",
    "TEMPORARY",
    "TRIGGER",
    "trigger",
    "EXPLAIN",
    "CASE",
    "WHEN",
    "THEN",
    "SELECT 1",
    "x",
    "t",
    "(",
    ")",
    ",",
    "'a;b'",
    "''",
    "\"\"",
    "-- c;\n",
    "/* ; */",
    "é",
    "😀",
    "\u{0}",
    "\u{feff}",
    "ON",
    "INSERT INTO t VALUES (1)",
    "UPDATE",
    "VACUUM",
    "PRAGMA journal_mode",
    "-",
    "/",
    "*",
    "'it''s'",
    "[a;b]",
    "`a;b`",
];

const NAME_PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "00",
    "0001",
    "42",
    "9223372036854775807",
    "9223372036854775808",
    "_",
    "_",
    "-",
    ".",
    ".sql",
    ".sql",
    ".down",
    ".down.sql",
    ".SQL",
    "a",
    "Z",
    "init",
    "add_orders",
    " ",
    "é",
    "😀",
    "\u{0}",
    "/",
    "\\",
    "..",
];

fn random_char(rng: &mut Rng) -> char {
    if rng.chance(80) {
        (rng.range(0x20, 0x7e) as u8) as char
    } else {
        char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}')
    }
}

fn generate(rng: &mut Rng, pieces: &[&str], max: u64) -> String {
    let mut text = String::new();
    for _ in 0..rng.below(max) {
        if rng.chance(85) {
            text.push_str(rng.pick::<&str>(pieces));
        } else {
            text.push(random_char(rng));
        }
    }
    text
}

pub fn run(ctx: &Ctx, tally: &mut Tally) {
    let count = ctx.count(200_000, 5_000_000);
    for i in 0..count {
        let seed = tally.next_seed();
        let mut rng = Rng::new(seed);
        let (what, problem) = match i % 10 {
            0..=5 => {
                let input = if rng.chance(90) {
                    generate(&mut rng, SQL_PIECES, 60)
                } else {
                    let bytes: Vec<u8> =
                        (0..rng.below(200)).map(|_| rng.next_u64() as u8).collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                };
                ("splitter", guarded(input.as_str(), check_split))
            }
            6..=8 => {
                let input = generate(&mut rng, NAME_PIECES, 8);
                ("file-name parser", guarded(input.as_str(), check_name))
            }
            _ => {
                let files: Vec<(String, String)> = (0..rng.below(5))
                    .map(|_| {
                        (
                            generate(&mut rng, NAME_PIECES, 6),
                            generate(&mut rng, SQL_PIECES, 20),
                        )
                    })
                    .collect();
                ("set validation", guarded(files.as_slice(), check_set))
            }
        };
        tally.record(&format!("{what} input #{i}"), seed, problem);
    }
}

fn guarded<T: std::fmt::Debug + ?Sized>(
    input: &T,
    check: impl Fn(&T) -> Result<(), String>,
) -> Option<String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(input))) {
        Ok(Ok(())) => None,
        Ok(Err(problem)) => Some(format!("{problem}; input {input:?}")),
        Err(panic) => Some(format!(
            "panicked: {}; input {input:?}",
            panic_message(&*panic)
        )),
    }
}

fn check_split(input: &str) -> Result<(), String> {
    let result = split(input);
    let statements = &result.statements;
    if statements.is_empty() {
        // Only whitespace, comments and empty statements.
        if skip_trivia(input) != input.len() {
            return Err("no statements although the input has a token".to_owned());
        }
        return Ok(());
    }
    let mut at = 0;
    for (i, st) in statements.iter().enumerate() {
        if st.span.start != at {
            return Err(format!(
                "statement {i} span starts at {} but the previous ended at {at}",
                st.span.start
            ));
        }
        if !(st.span.start <= st.start && st.start < st.end && st.end <= st.span.end) {
            return Err(format!("statement {i}: bad bounds {st:?}"));
        }
        for offset in [st.span.start, st.span.end, st.start, st.end] {
            if !input.is_char_boundary(offset) {
                return Err(format!(
                    "statement {i}: offset {offset} is not a char boundary"
                ));
            }
        }
        let line = 1 + input[..st.start].matches('\n').count() as u32;
        if st.line != line {
            return Err(format!(
                "statement {i}: line {} but starts on line {line}",
                st.line
            ));
        }
        if skip_trivia(&input[st.span.start..st.start]) != st.start - st.span.start {
            return Err(format!("statement {i}: a token before its start"));
        }
        let _ = st.text(input);
        at = st.span.end;
    }
    if at != input.len() {
        return Err(format!("spans end at {at}, the input at {}", input.len()));
    }
    Ok(())
}

fn check_name(input: &str) -> Result<(), String> {
    let Ok(name) = parse_file_name(input) else {
        return Ok(());
    };
    if name.version < 1 || parse_version(name.version_digits) != Ok(name.version) {
        return Err(format!("accepted with version {}", name.version));
    }
    if name.description.is_empty()
        || !name
            .description
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!("accepted description {:?}", name.description));
    }
    let rebuilt = format!(
        "{}_{}{}",
        name.version_digits,
        name.description,
        if name.kind == FileKind::Down {
            ".down"
        } else {
            ""
        }
    );
    if input != rebuilt && input != format!("{rebuilt}.sql") {
        return Err(format!("accepted as {name:?}, which spells {rebuilt}"));
    }
    Ok(())
}

fn check_set(files: &[(String, String)]) -> Result<(), String> {
    let entries = files
        .iter()
        .map(|(name, sql)| Entry::file(name.clone(), sql.as_bytes().to_vec()));
    match MigrationSet::from_entries(entries) {
        Ok(set) => {
            let versions: Vec<i64> = set.migrations().iter().map(|m| m.version).collect();
            if versions != (1..=versions.len() as i64).collect::<Vec<_>>() {
                return Err(format!("accepted versions {versions:?}"));
            }
            Ok(())
        }
        Err(problems) => {
            if problems.0.is_empty() {
                return Err("rejected with no problem".to_owned());
            }
            Ok(())
        }
    }
}
